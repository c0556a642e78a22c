/**
 * `agora master …`, `agora agent …` and `agora lb …` run the daemons' own executables (bin/agora-master, bin/agora-agent, bin/agora-lb) as
 * child processes, the way git runs its subcommands: the CLI stays a client of the public SDK only.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';

export const BIN_DIR = join(__dirname, '..', '..', 'bin');

export function registerPassthrough(program: Command, name: 'master' | 'agent' | 'lb', description: string): void {
  program.command(name)
    .description(description)
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[args...]', `options for agora ${name} (see agora ${name} --help)`)
    .action(async (args: string[]) => {
      const child = spawn(process.execPath, [join(BIN_DIR, `agora-${name}`), ...args], { stdio: 'inherit' });
      const forward = (sig: NodeJS.Signals) => child.kill(sig);
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      const code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 128 + 15 : 1))));
      process.exitCode = code;
    });
}
