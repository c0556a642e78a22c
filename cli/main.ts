/**
 * `agora` — the command line for operators and people submitting work. Every command has --help with examples.
 *
 *   agora up                                 a whole local cluster
 *   agora run -- sh -c 'echo hi'             one task, its output, its exit code
 *   agora role set eng --weight 2            operator API
 */
import { Command } from 'commander';
import { registerRunCommand } from './commands/run';
import { registerUpCommand } from './commands/up';
import { registerPassthrough } from './commands/passthrough';
import { registerRoleCommands } from './commands/role';
import { registerSecretCommands } from './commands/secret';
import { registerTokenCommands } from './commands/token';

export function buildProgram(): Command {
  const program = new Command('agora')
    .description('Agora: a two-level resource-offer cluster scheduler (Mesos-style) over NATS')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage and examples)');
  registerUpCommand(program);
  registerPassthrough(program, 'master', 'run a master (see: agora master --help)');
  registerPassthrough(program, 'agent', 'run an agent on this host (see: agora agent --help)');
  registerPassthrough(
    program,
    'sim',
    'simulate thousands of agents against a master, to load-test it (see: agora sim --help)',
  );
  registerPassthrough(program, 'dns', "run the cluster's DNS server: apps as names in agora. (see: agora dns --help)");
  registerPassthrough(program, 'lb', 'run the load balancer (HAProxy) on this host (see: agora lb --help)');
  registerRunCommand(program);
  registerRoleCommands(program);
  registerTokenCommands(program);
  registerSecretCommands(program);
  for (const extra of ['./commands/app', './commands/job', './commands/ops', './commands/deploy']) {
    // Command groups of the frameworks and the operator API register themselves when present.
    const mod = optionalModule(extra);
    for (const fn of Object.values(mod))
      if (typeof fn === 'function' && /^register/.test(fn.name)) (fn as (p: Command) => void)(program);
  }
  program.addHelpText(
    'after',
    `
Examples:
  $ npm start                                   # same as: agora up
  $ agora run -- sh -c 'echo hello; exit 3'
  $ agora role set eng --weight 2 --quota 'cpus:4;mem:8192'
  $ agora role list
  $ agora token create --role operator --name ci
  $ printf %s 'hunter2' | agora secret put db-pass --grant service
`,
  );
  return program;
}

function optionalModule(path: string): Record<string, unknown> {
  try {
    return require(path) as Record<string, unknown>;
  } catch (e) {
    if (
      (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' &&
      String((e as Error).message).includes(path.slice(2))
    )
      return {};
    throw e;
  }
}

if (require.main === module || process.env.AGORA_CLI_MAIN === '1') {
  buildProgram()
    .parseAsync(process.argv)
    .then(() => process.exit(process.exitCode ?? 0))
    .catch((err) => {
      process.stderr.write(`agora: ${(err as Error).message}\n`);
      process.exit(1);
    });
}
