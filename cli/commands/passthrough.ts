/**
 * `agora master …`, `agora agent …`, `agora sim …`, `agora dns …` and `agora lb …` run the daemons' own executables (bin/agora-master, …) as
 * child processes, the way git runs its subcommands: the CLI stays a client of the public SDK only.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';
import { findSetpriv, lifelineArgv } from '../up/supervisor';

export const BIN_DIR = join(__dirname, '..', '..', 'bin');

export function registerPassthrough(
  program: Command,
  name: 'master' | 'agent' | 'sim' | 'dns' | 'lb',
  description: string,
): void {
  program
    .command(name)
    .description(description)
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[args...]', `options for agora ${name} (see agora ${name} --help)`)
    .action(async (args: string[]) => {
      // The daemon ends with this wrapper, however it dies (see lifelineArgv), where util-linux setpriv exists.
      const setpriv = findSetpriv();
      const argv = [process.execPath, join(BIN_DIR, `agora-${name}`), ...args];
      const [bin, ...rest] = setpriv ? lifelineArgv(setpriv, process.pid, argv[0]!, argv.slice(1)) : argv;
      const child = spawn(bin!, rest, { stdio: 'inherit' });
      const forward = (sig: NodeJS.Signals) => child.kill(sig);
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      process.on('SIGHUP', forward);
      const code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 128 + 15 : 1))));
      process.exitCode = code;
    });
}
