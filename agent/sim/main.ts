/**
 * `agora sim` (bin/agora-sim): an agent simulator for load-testing a master — thousands of simulated agents in
 * one process speaking the real protocol over a real NATS server (simulator.ts). Prints one JSON line of its own
 * figures every --stats-interval on stdout (`"kind":"sim-stats"`); logs go to stderr (errors only, unless
 * AGORA_SIM_LOG_LEVEL=warn).
 *
 *   agora sim --nats nats://127.0.0.1:4222 --agents 5000 --prefix rack1 --run-time 30s --failure-rate 0.01
 */
import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { parseDurationMs, Resources, stopOnSignals, type Logger } from '../../sdk';
import { parseAttributes } from '../host-resources';
import { Simulator } from './simulator';

export function simProgram(): Command {
  const whole = (name: string) => (v: string) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number`);
    return Number(v);
  };
  const duration = (name: string) => (v: string) => {
    const n = parseDurationMs(v, 'ms');
    if (n === undefined) throw new InvalidArgumentError(`${name} must be a duration like 500ms, 30s, 0`);
    return n;
  };
  const fraction = (v: string) => {
    const n = Number(v);
    if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('--failure-rate must be between 0 and 1');
    return n;
  };
  const resources = (v: string) => {
    try {
      Resources.parse(v);
      return v;
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
  const attributes = (v: string) => {
    try {
      parseAttributes(v);
      return v;
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
  return new Command('agora sim')
    .description(
      'Simulate many agents in one process against a real master (load test): real protocol over NATS, tasks run by timers.',
    )
    .option('--nats <url>', 'NATS server (env AGORA_NATS)', process.env.AGORA_NATS ?? 'nats://127.0.0.1:4222')
    .option('--agents <n>', 'simulated agents', whole('--agents'), 1000)
    .option(
      '--prefix <text>',
      'agent ids and hostnames are <prefix>-<n> (distinct per simulator on one master)',
      `sim-${randomBytes(3).toString('hex')}`,
    )
    .option(
      '--resources <text>',
      'resources each simulated agent offers',
      resources,
      'cpus:16;mem:65536;disk:100000;ports:[31000-32000]',
    )
    .option('--attributes <text>', "attributes of every simulated agent, e.g. 'rack:r1'", attributes)
    .option('--connections <n>', 'NATS connections shared by the agents', whole('--connections'), 4)
    .option(
      '--run-time <duration>',
      'how long a task runs before it exits (0 = until killed); label agora.sim/run-ms overrides',
      duration('--run-time'),
      0,
    )
    .option(
      '--exit-code <n>',
      'exit code of a task that ends by itself; label agora.sim/exit-code overrides',
      whole('--exit-code'),
      0,
    )
    .option(
      '--start-delay <duration>',
      'LAUNCH → TASK_RUNNING delay; label agora.sim/start-delay-ms overrides',
      duration('--start-delay'),
      0,
    )
    .option('--failure-rate <fraction>', 'fraction of launches that fail (LAUNCH_FAILED)', fraction, 0)
    .option(
      '--usage-interval <duration>',
      "how often each agent reports its tasks' usage",
      duration('--usage-interval'),
      10_000,
    )
    .option('--start-concurrency <n>', 'agents registering at once', whole('--start-concurrency'), 500)
    .option(
      '--stats-interval <duration>',
      "how often to print the simulator's figures (JSON line on stdout; 0 = never)",
      duration('--stats-interval'),
      5000,
    )
    .option(
      '--work-dir <dir>',
      'where the (empty) sandboxes of simulated tasks go (default: a temp dir removed on exit)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ agora sim --agents 10000 --connections 8                    # 10,000 idle agents
  $ agora sim --agents 2000 --prefix b --run-time 30s --failure-rate 0.02 --start-delay 200ms
  $ agora sim --agents 25000 --prefix a & agora sim --agents 25000 --prefix b    # two simulators, one master
`,
    );
}

export async function main(argv = process.argv): Promise<void> {
  const program = simProgram();
  program.parse(argv);
  const o = program.opts();
  // Errors only by default: thousands of simulated agents each warning about one slow master would flood stderr,
  // and a synchronous log write blocked on a full pipe stalls every agent of the process.
  const log: Logger = pino({ name: 'sim', level: process.env.AGORA_SIM_LOG_LEVEL ?? 'error' }, pino.destination(2));
  const sim = new Simulator(
    {
      natsUrl: o.nats,
      agents: o.agents,
      prefix: o.prefix,
      resources: o.resources,
      attributes: o.attributes,
      connections: Math.max(1, o.connections),
      behaviour: { runMs: o.runTime, exitCode: o.exitCode, startDelayMs: o.startDelay, failureRate: o.failureRate },
      usageIntervalMs: Math.max(1000, o.usageInterval),
      startConcurrency: o.startConcurrency,
      workDir: o.workDir,
    },
    log,
  );
  const print = (event: string) =>
    process.stdout.write(
      `${JSON.stringify({ kind: 'sim-stats', event, prefix: o.prefix, at: Date.now(), ...sim.figures() })}\n`,
    );
  const timer = o.statsInterval > 0 ? setInterval(() => print('tick'), o.statsInterval) : undefined;
  stopOnSignals(
    log,
    async () => {
      clearInterval(timer);
      await sim.stop();
    },
    'simulated agents and their tasks end',
  );
  process.stdout.write(`${JSON.stringify({ kind: 'sim-starting', prefix: o.prefix, agents: o.agents })}\n`);
  const t0 = performance.now();
  await sim.start();
  process.stdout.write(
    `${JSON.stringify({ kind: 'sim-registered', prefix: o.prefix, agents: o.agents, seconds: Math.round(performance.now() - t0) / 1000 })}\n`,
  );
  print('registered');
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`agora sim: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
