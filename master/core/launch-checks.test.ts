/**
 * Launch reconciliation in the core (launch-checks.ts): no NATS, no timers — time is a number, effects are data.
 * A LAUNCH that timed out is checked with its agent (RECONCILE_LAUNCHES); only the agent's answer that it does
 * not know the launch drops the task.
 */
import { AgentIdSchema } from '../../sdk';
import { CoreHarness, fid, task } from './test-support';
import { LAUNCH_CHECK_AFTER_MS, STAGING_SCAN_EVERY_MS } from './launch-checks';
import { LAUNCH_IN_FLIGHT_MS } from './agent-calls';
import type { CommandOutcome, Effect } from './effects';

const A = AgentIdSchema.parse('a1');
const CFG = { agentPingTimeoutMs: 600_000, frameworkHeartbeatIntervalMs: 600_000 };
type Command = Extract<Effect, { type: 'SEND_COMMAND' }>;

/** f1 launched task t on a1; the LAUNCH effect is returned, not yet settled. */
function launched(h: CoreHarness): Command {
  h.register(A, 'cpus:4;mem:1024');
  h.subscribe('f1');
  expect(h.launch('f1', task('t', A, 'cpus:1;mem:128')).launched).toEqual(['t']);
  const [launch] = h.commands('LAUNCH');
  h.clear();
  return launch!;
}
const settle = (h: CoreHarness, e: Command, outcome: CommandOutcome) =>
  h.take(h.core.commandSettled(e.agentId, e.purpose, outcome, h.now));
const timedOut: CommandOutcome = { ok: false, failure: 'TIMEOUT', message: 'no reply on agora.v1.agent.a1: TIMEOUT' };
/** The agent's answer to a RECONCILE_LAUNCHES: each launch it names is known (or not). */
function answer(e: Command, known: boolean): CommandOutcome {
  if (e.command.type !== 'RECONCILE_LAUNCHES') throw new Error(`not a launch check: ${e.command.type}`);
  const reply = {
    launches: e.command.launches.map((l) => ({ ...l, known, ...(known ? { state: 'TASK_STAGING' as const } : {}) })),
  };
  return { ok: true, reply };
}
const checks = (h: CoreHarness) => h.commands('RECONCILE_LAUNCHES');

describe('a LAUNCH the agent did not confirm', () => {
  it('timeout → query → not known: TASK_DROPPED (TASK_UNKNOWN) to the framework, its resources offered again', () => {
    const h = new CoreHarness(CFG);
    const launch = launched(h);
    expect(launch.command.type === 'LAUNCH' && launch.command.launchId).toBeTruthy();
    settle(h, launch, timedOut);
    expect(h.appended()).toEqual([]);
    const [check] = checks(h);
    expect(check?.command).toEqual({
      type: 'RECONCILE_LAUNCHES',
      launches: [
        { frameworkId: 'f1', taskId: 't', launchId: launch.command.type === 'LAUNCH' && launch.command.launchId },
      ],
    });
    expect(h.core.state.tasks.get('f1/t')?.state).toBe('TASK_STAGING');
    h.clear();
    settle(h, check!, answer(check!, false));
    expect(h.appended()).toEqual([['t', 'TASK_DROPPED', 'TASK_UNKNOWN']]);
    expect(h.core.state.findTask('t', 'f1')?.state).toBe('TASK_DROPPED');
    expect(h.core.counters.launchesLost).toBe(1);
    expect(h.offered('f1')).toBe('cpus:4;mem:1024');
    h.clear();
    h.advance(LAUNCH_CHECK_AFTER_MS + STAGING_SCAN_EVERY_MS);
    expect(checks(h)).toEqual([]);
  });

  it('timeout → query → known: nothing changes, its own updates follow; asked again only while still STAGING', () => {
    const h = new CoreHarness(CFG);
    settle(h, launched(h), timedOut);
    const [check] = checks(h);
    h.clear();
    settle(h, check!, answer(check!, true));
    expect(h.appended()).toEqual([]);
    expect(h.core.state.tasks.get('f1/t')?.state).toBe('TASK_STAGING');
    h.advance(LAUNCH_CHECK_AFTER_MS - 1);
    expect(checks(h)).toEqual([]);
    h.advance(1);
    expect(checks(h)).toHaveLength(1);
    settle(h, checks(h)[0]!, answer(checks(h)[0]!, true));
    h.status('f1', 't', A, 'TASK_RUNNING');
    h.clear();
    h.advance(3 * LAUNCH_CHECK_AFTER_MS);
    expect(checks(h)).toEqual([]);
    expect(h.appended()).toEqual([]);
    expect(h.core.state.tasks.get('f1/t')?.state).toBe('TASK_RUNNING');
  });

  it('a query not answered declares nothing: asked again with backoff until the agent answers', () => {
    const h = new CoreHarness(CFG);
    settle(h, launched(h), timedOut);
    for (const waitMs of [1000, 2000, 4000]) {
      const [check] = checks(h);
      h.clear();
      settle(h, check!, timedOut);
      h.advance(waitMs - 1);
      expect(checks(h)).toEqual([]);
      h.advance(1);
      expect(checks(h)).toHaveLength(1);
    }
    const [check] = checks(h);
    h.clear();
    settle(h, check!, { ok: true, reply: { launches: 'garbage' } });
    expect(h.appended()).toEqual([]);
    expect(h.core.state.tasks.get('f1/t')?.state).toBe('TASK_STAGING');
  });

  it('a task STAGING past LAUNCH_CHECK_AFTER_MS is checked though its LAUNCH was confirmed, in one query per agent', () => {
    const h = new CoreHarness(CFG);
    const launch = launched(h);
    settle(h, launch, { ok: true, reply: { accepted: true } });
    expect(h.launch('f1', task('u', A, 'cpus:1;mem:128')).launched).toEqual(['u']);
    h.clear();
    h.advance(LAUNCH_CHECK_AFTER_MS + STAGING_SCAN_EVERY_MS);
    const [check] = checks(h);
    expect(checks(h)).toHaveLength(1);
    expect(check?.command.type === 'RECONCILE_LAUNCHES' && check.command.launches.map((l) => l.taskId)).toEqual([
      't',
      'u',
    ]);
    settle(h, check!, answer(check!, false));
    expect(h.appended()).toEqual([
      ['t', 'TASK_DROPPED', 'TASK_UNKNOWN'],
      ['u', 'TASK_DROPPED', 'TASK_UNKNOWN'],
    ]);
  });
});

describe('an agent re-registering without a task still STAGING', () => {
  it('is asked about the launch; the task is dropped only on its answer, its resources held until then', () => {
    const h = new CoreHarness(CFG);
    launched(h);
    h.advance(LAUNCH_IN_FLIGHT_MS);
    h.clear();
    h.register(A, 'cpus:4;mem:1024');
    expect(h.appended()).toEqual([]);
    expect(h.core.state.tasks.get('f1/t')?.state).toBe('TASK_STAGING');
    expect(h.offered('f1')).toBe('cpus:3;mem:896');
    const [check] = checks(h);
    settle(h, check!, answer(check!, false));
    expect(h.appended()).toEqual([['t', 'TASK_DROPPED', 'TASK_UNKNOWN']]);
    expect(h.offered('f1')).toBe('cpus:4;mem:1024');
  });
});

describe('the late LAUNCH, after the task was dropped', () => {
  it("changes nothing when it settles (refused by the agent, or even accepted), nor a relaunch's task of the same id", () => {
    const h = new CoreHarness(CFG);
    const first = launched(h);
    settle(h, first, timedOut);
    settle(h, checks(h)[0]!, answer(checks(h)[0]!, false));
    expect(h.appended()).toEqual([['t', 'TASK_DROPPED', 'TASK_UNKNOWN']]);
    // The framework launches t again: a new launch id, so the agent (which refuses the first) takes this one.
    expect(h.launch('f1', task('t', A, 'cpus:1;mem:128')).launched).toEqual(['t']);
    const [second] = h.commands('LAUNCH');
    expect(second?.command.type === 'LAUNCH' && second.command.launchId).not.toBe(
      first.command.type === 'LAUNCH' && first.command.launchId,
    );
    h.clear();
    // The first LAUNCH reaches the agent late and is refused: it says nothing about the second.
    settle(h, first, { ok: false, failure: 'REFUSED', message: 'launch arrived after the master gave it up' });
    settle(h, first, timedOut);
    expect(h.appended()).toEqual([]);
    expect(checks(h)).toEqual([]);
    expect(h.core.state.tasks.get('f1/t')?.state).toBe('TASK_STAGING');
    // An answer about the first launch does not drop the second.
    const stale: CommandOutcome = {
      ok: true,
      reply: {
        launches: [
          {
            frameworkId: fid('f1'),
            taskId: 't',
            launchId: first.command.type === 'LAUNCH' ? first.command.launchId : '',
            known: false,
          },
        ],
      },
    };
    h.take(h.core.commandSettled(A, { kind: 'LAUNCH_CHECK', taskKeys: ['f1/t'] }, stale, h.now));
    expect(h.appended()).toEqual([]);
    settle(h, second!, { ok: true, reply: { accepted: true } });
    h.status('f1', 't', A, 'TASK_RUNNING');
    expect(h.core.state.tasks.get('f1/t')?.state).toBe('TASK_RUNNING');
  });
});
