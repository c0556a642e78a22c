/** Exit-status vocabulary shared by the containerizers. */
import { constants } from 'node:os';

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

export function signalName(n: number): string {
  return SIGNAL_NAMES.get(n) ?? `SIG${n}`;
}

/**
 * Shells, tini and Docker report a process ended by signal N as status 128+N; a command that itself
 * exits 128+N therefore reads as signalled (the ambiguity every shell has).
 */
export function decodeStatus(status: number): { exitCode: number | null; signal: string | null } {
  if (status > 128 && status <= 128 + 64) return { exitCode: null, signal: signalName(status - 128) };
  return { exitCode: status, signal: null };
}

/** What an exec that ran past its timeout reports, as coreutils `timeout` does. */
export const EXEC_TIMEOUT_CODE = 124;
