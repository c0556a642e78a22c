/**
 * `agora-cron`: the cron framework as a process (started by `agora up`, or by hand on any machine that
 * reaches the cluster's NATS).
 *
 *   agora-cron --nats nats://127.0.0.1:4222 --data-dir ./.agora/cron [--name cron] [--role '*'] [--keep-runs 1000] [--keep-days 30]
 */
import { Command } from 'commander';
import { createLogger, stopOnSignals } from 'agora/sdk';
import { startCronFramework } from './framework';

async function main(): Promise<void> {
  const program = new Command('agora-cron')
    .description('the cron batch framework: scheduled, retried, dependent batch jobs')
    .option(
      '--nats <url>',
      'NATS server of the cluster (env AGORA_NATS)',
      process.env.AGORA_NATS ?? 'nats://127.0.0.1:4222',
    )
    .option(
      '--data-dir <dir>',
      'where its SQLite database lives',
      process.env.AGORA_HOME ? `${process.env.AGORA_HOME}/cron` : './.agora/cron',
    )
    .option('--name <name>', 'framework name', 'cron')
    .option('--role <role>', 'role to take offers for', '*')
    .option('--principal <principal>', 'principal it acts as (secrets are granted to it)', 'cron')
    .option('--failover-timeout <seconds>', 'how long the master keeps our tasks while we are away', '604800')
    .option('--keep-runs <n>', 'retention: ended runs kept per job', '1000')
    .option('--keep-days <days>', 'retention: ended runs and ledger rows older than this are dropped', '30')
    .addHelpText('after', '\nExample:\n  $ agora-cron --nats nats://127.0.0.1:4222 --data-dir ./.agora/cron\n');
  program.parse(process.argv);
  const o = program.opts<{
    nats: string;
    dataDir: string;
    name: string;
    role: string;
    principal: string;
    failoverTimeout: string;
    keepRuns: string;
    keepDays: string;
  }>();
  const keepRunsPerJob = Number(o.keepRuns);
  const keepDays = Number(o.keepDays);
  if (!Number.isInteger(keepRunsPerJob) || keepRunsPerJob < 1)
    throw new Error(`--keep-runs: '${o.keepRuns}' must be a whole number ≥ 1`);
  if (!(keepDays > 0)) throw new Error(`--keep-days: '${o.keepDays}' must be a number > 0`);
  const log = createLogger('cron');
  const cron = await startCronFramework({
    natsUrl: o.nats,
    dataDir: o.dataDir,
    name: o.name,
    role: o.role,
    principal: o.principal,
    log,
    failoverTimeoutMs: Math.round(Number(o.failoverTimeout) * 1000),
    keepRunsPerJob,
    maxRunAgeMs: keepDays * 86_400_000,
  });
  log.info({ frameworkId: cron.frameworkId, dataDir: o.dataDir }, 'cron framework running');
  stopOnSignals(log, () => cron.stop({ failover: true }), 'failover: running tasks keep running');
}

main().catch((err) => {
  process.stderr.write(`agora-cron: ${(err as Error).message}\n`);
  process.exit(1);
});
