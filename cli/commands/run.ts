/**
 * `agora run -- <cmd>`: like mesos-execute. A built-in one-shot framework registers, takes one offer, launches
 * one task, streams its stdout/stderr, reports its life on stderr, unregisters, and exits with its exit code.
 */
import type { Command } from 'commander';
import { action, collectKeyValue, credsOf, examples, natsOption, natsUrlOf, parseDuration, CliError, EXIT } from '../common';
import { runOnce } from '../run/one-shot';

export function registerRunCommand(program: Command): void {
  const cmd = program.command('run')
    .description('run one task on the cluster and exit with its exit code (a one-shot framework)')
    .argument('<command...>', 'the command (after --): one argument runs under /bin/sh -c, several run as argv without a shell')
    .option('--cpus <n>', 'cpus for the task', '0.1')
    .option('--mem <mb>', 'memory (MB) for the task', '64')
    .option('--disk <mb>', 'disk (MB) for the task')
    .option('--env <K=V>', 'environment variable (repeatable)', collectKeyValue, {})
    .option('--name <name>', 'task name', 'agora-run')
    .option('--image <image>', 'run in this Docker image instead of the native containerizer')
    .option('--role <role>', 'role to run under', '*')
    .option('--wait-for-offer <duration>', 'give up if no offer fits within this long', '60s')
    .option('--quiet', 'do not print the task\'s state changes');
  natsOption(cmd);
  examples(cmd, [
    "agora run -- sh -c 'echo hello; exit 3'        # prints hello, exits 3",
    'agora run --cpus 0.5 --mem 256 --env GREETING=hi -- sh -c \'echo $GREETING\'',
    'agora run --image agora-busybox:latest -- echo from docker',
    'AGORA_NATS=nats://10.0.0.5:4222 agora run --name backup -- ./backup.sh',
  ]);
  cmd.action(action(async (command: string[], o) => {
    const cpus = Number(o.cpus);
    const mem = Number(o.mem);
    if (!(cpus > 0)) throw new CliError(`--cpus: '${o.cpus}' must be a number > 0`, EXIT.USAGE);
    if (!(mem > 0)) throw new CliError(`--mem: '${o.mem}' must be a number > 0`, EXIT.USAGE);
    if (o.disk !== undefined && !(Number(o.disk) >= 0)) throw new CliError(`--disk: '${o.disk}' must be a number ≥ 0`, EXIT.USAGE);
    return runOnce({
      natsUrl: natsUrlOf(o), credentials: credsOf(o), command, cpus, memMb: mem, diskMb: o.disk === undefined ? undefined : Number(o.disk),
      env: o.env, name: o.name, image: o.image, role: o.role, waitForOfferMs: parseDuration(o.waitForOffer, '--wait-for-offer'), quiet: !!o.quiet,
    });
  }));
}
