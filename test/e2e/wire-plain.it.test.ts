/**
 * The wire is plain msgpack, checked on a live cluster: a listener subscribed to `agora.>` and `_INBOX.>`
 * captures every message the master, an agent and an SDK framework send while a task is launched, finishes,
 * another is killed, tasks are reconciled, files are read and the framework tears down — calls, replies,
 * events, commands, usage, and both update streams — and a strict decoder that refuses extension types
 * (test/harness/strict-msgpack.ts) reads every one of them.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { decode } from '../../sdk/codec';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { QueueFramework } from '../harness/queue-framework';
import { strictDecode } from '../harness/strict-msgpack';

interface Captured {
  subject: string;
  data: Uint8Array;
}

describe('every message on the wire is plain msgpack', () => {
  let cluster: TestCluster;
  let listener: NatsConnection;
  let fw: QueueFramework | undefined;
  const captured: Captured[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ agents: [] });
    listener = await connect({ servers: cluster.natsUrl, name: 'wire-listener' });
    for (const subject of ['agora.>', '_INBOX.>']) {
      listener.subscribe(subject, {
        callback: (err, msg) => {
          if (!err) captured.push({ subject: msg.subject, data: msg.data });
        },
      });
    }
    await listener.flush();
    await cluster.addAgent({ usageIntervalMs: 200 });
  });
  afterAll(async () => {
    await fw?.driver.stop({ failover: false });
    await listener?.drain();
    await cluster?.stop();
  });

  it('captures every kind of message and decodes each strictly', async () => {
    fw = new QueueFramework(cluster.natsUrl, { name: 'wire' });
    await fw.driver.start();
    fw.add(
      { taskId: 'done', resources: 'cpus:0.1;mem:32', command: 'echo hi' },
      { taskId: 'long', resources: 'cpus:0.1;mem:32', command: 'sleep 600' },
    );
    await eventually(
      () => fw!.latest.get('done')?.state === 'TASK_FINISHED' && fw!.latest.get('long')?.state === 'TASK_RUNNING',
      'done finished, long running',
      30_000,
    );
    const files = await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/tasks/done/files`);
    expect(files.status).toBe(200);
    const read = await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/tasks/done/files/read?path=stdout`);
    expect(read.status).toBe(200);
    await eventually(
      () =>
        kinds().has('agent call USAGE') &&
        kinds().has('scheduler call HEARTBEAT') &&
        kinds().has('scheduler event HEARTBEAT'),
      'usage of the running task and heartbeats',
      30_000,
    );
    await fw.driver.reconcile([{ taskId: 'long' }, { taskId: 'never-was' }]);
    await fw.driver.kill('long');
    await eventually(() => fw!.latest.get('long')?.state === 'TASK_KILLED', 'long killed', 30_000);
    await fw.driver.stop({ failover: false });
    fw = undefined;
    await eventually(() => kinds().has('scheduler call TEARDOWN'), 'the teardown call');
    await listener.flush();

    const problems: string[] = [];
    for (const m of captured) {
      if (isNatsInternal(m)) continue;
      try {
        strictDecode(m.data);
      } catch (e) {
        problems.push(`${m.subject}: ${(e as Error).message} (${Buffer.from(m.data).toString('hex').slice(0, 80)})`);
      }
    }
    expect(problems).toEqual([]);
    const seen = kinds();
    for (const k of [
      'scheduler call SUBSCRIBE',
      'scheduler call ACCEPT',
      'scheduler call DECLINE',
      'scheduler call REVIVE',
      'scheduler call KILL',
      'scheduler call RECONCILE',
      'scheduler call HEARTBEAT',
      'scheduler call TEARDOWN',
      'scheduler event SUBSCRIBED',
      'scheduler event OFFERS',
      'scheduler event UPDATE',
      'scheduler event HEARTBEAT',
      'agent call REGISTER',
      'agent call PING',
      'agent call USAGE',
      'agent command LAUNCH',
      'agent command KILL',
      'agent command FILES_LIST',
      'agent command FILES_READ',
      'agent update',
      'framework update',
      'reply',
    ])
      expect({ kind: k, seen: seen.has(k) }).toEqual({ kind: k, seen: true });
  });

  /** Labels of what was captured, e.g. `scheduler call ACCEPT`, `agent command LAUNCH`, `reply`. */
  function kinds(): Set<string> {
    const out = new Set<string>();
    for (const m of captured) {
      if (isNatsInternal(m)) continue;
      let v: { type?: string; ok?: boolean };
      try {
        v = decode(m.data) as typeof v;
      } catch {
        continue;
      } // lenient here: the strict check reports what fails
      const s = m.subject;
      if (s.startsWith('agora.v1.master.scheduler.')) out.add(`scheduler call ${v.type}`);
      else if (/^agora\.v1\.scheduler\..*\.events$/.test(s)) out.add(`scheduler event ${v.type}`);
      else if (s.startsWith('agora.v1.master.agent.')) out.add(`agent call ${v.type}`);
      else if (s.startsWith('agora.v1.agent.')) out.add(`agent command ${v.type}`);
      else if (s.startsWith('agora.v1.updates.agent.')) out.add('agent update');
      else if (s.startsWith('agora.v1.updates.framework.')) out.add('framework update');
      else if (s.startsWith('_INBOX.') && typeof v.ok === 'boolean') out.add('reply');
      else out.add(s);
    }
    return out;
  }
});

/**
 * Inbox traffic that is NATS's own, not Agora's: JetStream API answers (JSON) and JetStream status messages
 * (empty bodies). Stream deliveries to the framework's and master's consumers repeat payloads already
 * captured when they were published on `agora.v1.updates.*`, and are checked again here.
 */
function isNatsInternal(m: Captured): boolean {
  if (!m.subject.startsWith('_INBOX.')) return false;
  return m.data.length === 0 || m.data[0] === 0x7b; /* '{' */
}
