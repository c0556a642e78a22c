/**
 * Helpers every `agora` command shares: where the cluster is, output for people (tables, colour on a TTY)
 * and for scripts (`--json`), exit codes that mean something, and turning errors into one clear line.
 */
import type { Command } from 'commander';
import { ApiError, connectNats, createLogger, parseDurationMs, resolveCredentials, type CredentialsFile, type NatsConnection } from 'agora/sdk';

/** Exit codes: 0 ok, 1 the thing failed (task/job/deployment), 2 usage or invalid input, 3 cluster unreachable, 4 not found, 5 timed out. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, UNAVAILABLE: 3, NOT_FOUND: 4, TIMEOUT: 5 } as const;

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.FAILED) { super(message); this.name = 'CliError'; }
}

export const DEFAULT_NATS = 'nats://127.0.0.1:4222';
export const DEFAULT_MASTER = 'http://127.0.0.1:5050';

/**
 * The credentials of a command: `--creds`, else `AGORA_CREDS`, else the admin's of the cluster `agora up` keeps
 * in `AGORA_HOME` (default ./.agora) — so on the machine running `npm start` every command works as it is.
 */
export function credsOf(opts: { creds?: string }): CredentialsFile | undefined {
  try { return resolveCredentials({ credentials: opts.creds }); } catch (e) { throw new CliError((e as Error).message, EXIT.USAGE); }
}

/** One address suffices: the credentials file names the NATS servers and the master's HTTP API. */
export function natsUrlOf(opts: { nats?: string; creds?: string }): string { return opts.nats ?? process.env.AGORA_NATS ?? credsOf(opts)?.nats.servers[0] ?? DEFAULT_NATS; }
export function masterUrlOf(opts: { master?: string; creds?: string }): string { return (opts.master ?? process.env.AGORA_MASTER ?? credsOf(opts)?.http?.url ?? DEFAULT_MASTER).replace(/\/$/, ''); }

/** Adds `--nats <url>` (env AGORA_NATS) and `--creds <file>` (env AGORA_CREDS). */
export function natsOption(cmd: Command): Command {
  return cmd.option('--nats <url>', `NATS server of the cluster (env AGORA_NATS; default: the credentials' servers, else ${DEFAULT_NATS})`)
    .option('--creds <file>', "credentials file (env AGORA_CREDS; default: the admin's of the cluster in AGORA_HOME or ./.agora)");
}
/** Adds `--master <url>` (env AGORA_MASTER). */
export function masterOption(cmd: Command): Command {
  return cmd.option('--master <url>', `master HTTP API (env AGORA_MASTER, default ${DEFAULT_MASTER})`);
}
export function jsonOption(cmd: Command): Command { return cmd.option('--json', 'print JSON for scripts instead of a table'); }

export function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

/** Connects to NATS for a CLI command: gives up after a few seconds with a clear "cluster unreachable". */
export async function withNats<T>(opts: { nats?: string; creds?: string }, fn: (nc: NatsConnection, creds?: CredentialsFile) => Promise<T>): Promise<T> {
  const url = natsUrlOf(opts);
  const credentials = credsOf(opts);
  let nc: NatsConnection;
  try {
    nc = await connectNats({ servers: url, name: 'agora-cli', credentials, startTimeoutMs: 3000, log: createLogger('cli', { level: 'silent' }) });
  } catch (e) {
    if (/refused/.test((e as Error).message)) throw new CliError((e as Error).message, EXIT.FAILED);
    throw new CliError(`cannot reach the cluster's NATS server at ${url} (is the cluster up? set --nats or AGORA_NATS)`, EXIT.UNAVAILABLE);
  }
  try { return await fn(nc, credentials); } finally { await nc.drain().catch(() => undefined); }
}

/** JSON over HTTP against the master; maps failures to CliError with meaningful exit codes. */
export async function httpJson<T = unknown>(opts: { master?: string }, method: string, path: string, body?: unknown): Promise<T> {
  const url = `${masterUrlOf(opts)}${path}`;
  let res: Response;
  try {
    res = await fetch(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new CliError(`cannot reach the master at ${masterUrlOf(opts)} (is the cluster up? set --master or AGORA_MASTER)`, EXIT.UNAVAILABLE);
  }
  const text = await res.text();
  const data = text === '' ? undefined : JSON.parse(text);
  if (res.ok) return data as T;
  const message = (data as { message?: string })?.message ?? `${res.status} ${res.statusText}`;
  throw new CliError(message, res.status === 404 ? EXIT.NOT_FOUND : res.status === 400 ? EXIT.USAGE : EXIT.FAILED);
}

const tty = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: string) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
export const color = { red: paint('31'), green: paint('32'), yellow: paint('33'), dim: paint('2'), bold: paint('1'), cyan: paint('36') };

/** Colours a task/run/deployment state by its meaning. */
export function stateColor(state: string): string {
  if (/FINISHED|SUCCEEDED|RUNNING|HEALTHY|ACTIVE|SUCCESS/.test(state)) return color.green(state);
  if (/FAILED|ERROR|LOST|GONE|KILLED|MISSED|UNHEALTHY|UNREACHABLE/.test(state)) return color.red(state);
  return color.yellow(state);
}

export interface Column<R> { header: string; get: (row: R) => unknown; align?: 'left' | 'right' }

/** Prints rows as an aligned table (ANSI colour codes are not counted in widths). */
export function printTable<R>(rows: R[], columns: Column<R>[], out: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): void {
  const cells = rows.map((r) => columns.map((c) => { const v = c.get(r); return v === undefined || v === null ? '-' : String(v); }));
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => visible(row[i]))));
  const fmt = (vals: string[]) => vals.map((v, i) => {
    const pad = ' '.repeat(Math.max(0, widths[i] - visible(v)));
    return columns[i].align === 'right' ? pad + v : v + pad;
  }).join('  ').trimEnd();
  out(color.bold(fmt(columns.map((c) => c.header))));
  for (const row of cells) out(fmt(row));
}

export function printJson(value: unknown): void { process.stdout.write(`${JSON.stringify(value, null, 2)}\n`); }

/** Wraps a command action: errors become one `error: …` line on stderr and the right exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void | number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (e) {
      const { message, exitCode } = describeError(e);
      process.stderr.write(`${color.red('error:')} ${message}\n`);
      process.exitCode = exitCode;
    }
  };
}

export function describeError(e: unknown): { message: string; exitCode: number } {
  if (e instanceof CliError) return { message: e.message, exitCode: e.exitCode };
  if (e instanceof ApiError) {
    const exitCode = e.code === 'NOT_FOUND' ? EXIT.NOT_FOUND : e.code === 'INVALID' ? EXIT.USAGE : e.code === 'UNAVAILABLE' ? EXIT.UNAVAILABLE : EXIT.FAILED;
    return { message: e.message, exitCode };
  }
  return { message: (e as Error)?.message ?? String(e), exitCode: EXIT.FAILED };
}

/** `10m`, `30s`, `1h`, `500ms` → milliseconds. */
export function parseDuration(text: string, field = 'duration'): number {
  const ms = parseDurationMs(text, 's');
  if (ms === undefined) throw new CliError(`${field}: '${text}' is not a duration (e.g. 30s, 10m, 1h)`, EXIT.USAGE);
  return ms;
}

/** `--env K=V` collector for commander. */
export function collectKeyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0) throw new CliError(`--env '${value}': expected KEY=VALUE`, EXIT.USAGE);
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}
