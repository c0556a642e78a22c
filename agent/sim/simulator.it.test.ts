/**
 * agora sim against a real nats-server and a real master: simulated agents register, run tasks through the
 * real protocol (LAUNCH, status updates via outbox → JetStream → master → framework), end them as their labels
 * say, obey KILL, and report launch failures at the configured rate. Correctness only; speed is bench:scale's.
 */
import { createLogger } from '../../sdk';
import { eventually, startCluster, type TestCluster } from '../../test/harness/cluster';
import { QueueFramework } from '../../test/harness/queue-framework';
import { DEFAULT_SIM_BEHAVIOUR, type SimBehaviour } from './sim-containerizer';
import { Simulator } from './simulator';

jest.setTimeout(120_000);

const log = createLogger('sim-test', { level: 'silent' });
const simulator = (natsUrl: string, prefix: string, agents: number, behaviour: Partial<SimBehaviour> = {}) =>
  new Simulator(
    {
      natsUrl,
      agents,
      prefix,
      resources: 'cpus:4;mem:4096;disk:1000;ports:[31000-31010]',
      connections: 1,
      behaviour: { ...DEFAULT_SIM_BEHAVIOUR, ...behaviour },
      usageIntervalMs: 1000,
      startConcurrency: 2,
    },
    log,
  );

describe('agora sim', () => {
  let cluster: TestCluster;
  let sim: Simulator | undefined;
  let fw: QueueFramework | undefined;
  beforeEach(async () => {
    cluster = await startCluster({ agents: [] });
  });
  afterEach(async () => {
    await fw?.driver.stop().catch(() => undefined);
    await sim?.stop();
    await cluster.stop();
    fw = undefined;
    sim = undefined;
  });

  it('registers its agents, runs tasks to the end their labels give, and kills on request', async () => {
    sim = simulator(cluster.natsUrl, 'simtest', 3);
    await sim.start();
    const m = cluster.master.master;
    expect(
      [...m.state.agents.values()]
        .filter((a) => a.state === 'ACTIVE')
        .map((a) => a.info.id)
        .sort(),
    ).toEqual(['simtest-0', 'simtest-1', 'simtest-2']);

    fw = new QueueFramework(cluster.natsUrl);
    fw.add(
      { taskId: 'long', resources: 'cpus:1;mem:64', command: 'sleep 600' },
      { taskId: 'ok', resources: 'cpus:1;mem:64', command: 'true', labels: { 'agora.sim/run-ms': '100' } },
      {
        taskId: 'bad',
        resources: 'cpus:1;mem:64',
        command: 'false',
        labels: { 'agora.sim/run-ms': '100', 'agora.sim/exit-code': '3' },
      },
    );
    await fw.driver.start();
    const f = fw;
    await eventually(
      () =>
        f.latest.get('ok')?.state === 'TASK_FINISHED' &&
        f.latest.get('bad')?.state === 'TASK_FAILED' &&
        f.latest.get('long')?.state === 'TASK_RUNNING',
      'tasks to run and end',
    );
    expect(f.latest.get('bad')!.exitCode).toBe(3);
    expect(f.statesOf('ok')).toEqual(['TASK_RUNNING', 'TASK_FINISHED']);

    await f.driver.kill('long', f.launchedOn.get('long'));
    await eventually(() => f.latest.get('long')?.state === 'TASK_KILLED', 'the long task to be killed');
    const fig = await eventually(() => {
      const x = sim!.figures();
      return x.outboxBacklog === 0 && x.ended === 3 ? x : undefined;
    }, 'outboxes to drain');
    expect(fig).toMatchObject({ agents: 3, registered: 3, launched: 3, launchFailed: 0, tasksRunning: 0 });
    expect(fig.published).toBeGreaterThanOrEqual(7); // RUNNING ×3, FINISHED, FAILED, KILLING, KILLED
  });

  it('fails launches at its failure rate (LAUNCH_FAILED), as a real containerizer reports them', async () => {
    sim = simulator(cluster.natsUrl, 'simfail', 1, { failureRate: 1 });
    await sim.start();
    fw = new QueueFramework(cluster.natsUrl);
    fw.add({ taskId: 'doomed', resources: 'cpus:1;mem:64', command: 'sleep 600' });
    await fw.driver.start();
    const f = fw;
    const end = await eventually(() => {
      const s = f.latest.get('doomed');
      return s?.state === 'TASK_FAILED' ? s : undefined;
    }, 'the launch to fail');
    expect(end.reason).toBe('LAUNCH_FAILED');
    expect(sim.figures()).toMatchObject({ launched: 1, launchFailed: 1 });
  });
});
