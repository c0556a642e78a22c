/**
 * 10,000 random and mutated messages (fast-check, fixed seed) to every subject the master and the agent listen
 * on — scheduler calls, agent calls, agent commands, and the JetStream agent-update stream — under real and
 * forged ids. Both stay up; the master's /api/v1/state and the agent's STATE are unchanged; every request the
 * schemas refuse gets `{ ok: false, error: { code, message } }`; and the flood produces a bounded number of
 * log lines (counted at a pino destination).
 */
import { jetstreamManager, jetstream } from '@nats-io/jetstream';
import fc from 'fast-check';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import {
  AgentCallSchema, AgentCommandSchema, ErrorBodySchema, SchedulerCallSchema, connectNats, decode, request, streams, subjects,
  MASTER_UPDATES_CONSUMER, type NatsConnection,
} from 'agora/sdk';
import { startMaster, type RunningMaster } from '../../master/main';
import { startAgent, type RunningAgent } from '../../agent/main';
import { eventually } from '../harness/cluster';
import { NatsServer } from '../harness/nats-server';
import { QueueFramework } from '../harness/queue-framework';
import { removeAgentLeftovers, report } from './processes';
import { agentCallTemplates, agentCommandTemplates, badMessage, schedulerTemplates, updateTemplates, type BadMessage } from './fuzz-messages';

const MAX_BYTES = 64 * 1024;
const PER_FAMILY = 2500;

function countingLogger(name: string, lines: string[]) {
  return pino({ name, level: 'info' }, { write: (s: string) => { lines.push(s); } });
}

describe('fuzz: 10,000 bad messages to the master and the agent', () => {
  let dir: string;
  let nats: NatsServer;
  let master: RunningMaster;
  let agent: RunningAgent;
  let nc: NatsConnection;
  let fw: QueueFramework;
  const masterLog: string[] = [];
  const agentLog: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agora-fuzz-'));
    chmodSync(dir, 0o755);
    nats = await NatsServer.start();
    master = await startMaster({ natsUrl: nats.url, httpHost: '127.0.0.1', httpPort: 0, dataDir: join(dir, 'master'), allocationIntervalMs: 100, maxMessageBytes: MAX_BYTES },
      { log: countingLogger('master', masterLog) });
    agent = await startAgent({ natsUrl: nats.url, natsCreds: await nats.mint('agent', 'agent-fuzz'), hostname: 'fuzz', workDir: join(dir, 'agent'), resources: 'cpus:2;mem:2048;disk:1000', containerizers: ['native'], maxMessageBytes: MAX_BYTES, usageIntervalMs: 600_000 },
      { log: countingLogger('agent', agentLog) });
    // The fuzzer speaks as the master (it may publish on every subject): this test is about input validation.
    nc = await connectNats({ servers: nats.url, name: 'fuzz-test', principal: 'master' });
    fw = new QueueFramework(nats.url, { name: 'fuzz-fw' });
    await fw.driver.start();
    fw.add({ taskId: 'resident', resources: 'cpus:0.1;mem:16', command: 'sleep 600' });
    await eventually(() => fw.latest.get('resident')?.state === 'TASK_RUNNING', 'a resident task running');
    await fw.driver.suppress();
  });
  afterAll(async () => {
    await fw?.driver.stop({ failover: false }).catch(() => undefined);
    await agent?.stop({ killTasks: true }).catch(() => undefined);
    if (agent) await removeAgentLeftovers(agent.agent.id);
    await nc?.drain().catch(() => undefined);
    await master?.stop().catch(() => undefined);
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const masterState = async () => {
    const s = await (await fetch(`${master.httpUrl}/api/v1/state`)).json() as { agents: { id: string; state: string; resources: { total: string } }[]; frameworks: { id: string }[]; tasks: { id: string; state: string; agentId: string }[] };
    return { agents: s.agents.map((a) => [a.id, a.state, a.resources.total]), frameworks: s.frameworks.map((f) => f.id).sort(), tasks: s.tasks.map((t) => [t.id, t.state, t.agentId]) };
  };
  const agentState = async () => {
    const s = await request<{ id: string; tasks: { taskId: string; frameworkId: string; state: string }[] }>(nc, subjects.agentCommand(agent.agent.id), { type: 'STATE' });
    return { id: s.id, tasks: s.tasks.map((t) => [t.taskId, t.frameworkId, t.state]) };
  };

  it('both stay up, state is unchanged, refusals are clear, logging is bounded', async () => {
    const agentId = agent.agent.id;
    const before = { master: await masterState(), agent: await agentState() };
    const logsBefore = masterLog.length + agentLog.length;
    const forgedId = fc.integer({ min: 0, max: 5000 }).map((n) => `fuzz-${n}`);
    const sample = <T>(arb: fc.Arbitrary<T>, seed: number) => fc.sample(arb, { numRuns: PER_FAMILY, seed });
    type Sent = BadMessage & { subject: string; schema?: typeof AgentCallSchema | typeof SchedulerCallSchema | typeof AgentCommandSchema };
    const requests: Sent[] = [
      ...sample(fc.oneof(
        fc.tuple(forgedId, badMessage(schedulerTemplates(), MAX_BYTES)).map(([id, m]) => ({ ...m, subject: subjects.schedulerCall(fw.driver.principal, id) })),
        badMessage(schedulerTemplates(), MAX_BYTES, true).map((m) => ({ ...m, subject: subjects.schedulerCall(fw.driver.principal, fw.driver.frameworkId) })),
      ), 1).map((m) => ({ ...m, schema: SchedulerCallSchema })),
      ...sample(fc.oneof(
        fc.tuple(forgedId, badMessage(agentCallTemplates(agentId), MAX_BYTES)).map(([id, m]) => ({ ...m, subject: subjects.agentCall(id) })),
        badMessage(agentCallTemplates(agentId), MAX_BYTES, true).map((m) => ({ ...m, subject: subjects.agentCall(agentId) })),
      ), 2).map((m) => ({ ...m, schema: AgentCallSchema })),
      ...sample(badMessage(agentCommandTemplates(), MAX_BYTES).map((m) => ({ ...m, subject: subjects.agentCommand(agentId) })), 3).map((m) => ({ ...m, schema: AgentCommandSchema })),
    ];
    const updates = sample(fc.oneof(
      badMessage(updateTemplates(agentId), MAX_BYTES).map((m) => ({ ...m, subject: subjects.agentUpdates(agentId) })),
      fc.tuple(forgedId, badMessage(updateTemplates(agentId), MAX_BYTES)).map(([id, m]) => ({ ...m, subject: subjects.agentUpdates(id) })),
    ), 4);

    const replies: { sent: Sent; ok: boolean; error?: unknown }[] = [];
    const unanswered: string[] = [];
    const queue = [...requests];
    await Promise.all(Array.from({ length: 64 }, async () => {
      for (let m = queue.shift(); m; m = queue.shift()) {
        try {
          const r = decode((await nc.request(m.subject, m.bytes, { timeout: 10_000 })).data) as { ok: boolean; error?: unknown };
          replies.push({ sent: m, ok: r.ok === true, error: r.error });
        } catch (e) {
          unanswered.push(`${m.kind} on ${m.subject}: ${(e as Error).message} (${Buffer.from(m.bytes.slice(0, 60)).toString('hex')})`);
        }
      }
    }));
    const js = jetstream(nc);
    const published = [...updates];
    await Promise.all(Array.from({ length: 32 }, async () => {
      for (let m = published.shift(); m; m = published.shift()) await js.publish(m.subject, m.bytes);
    }));
    const jsm = await jetstreamManager(nc);
    await eventually(async () => { const c = await jsm.consumers.info(streams.agentUpdates.name, MASTER_UPDATES_CONSUMER); return c.num_pending === 0 && c.num_ack_pending === 0; }, 'the master consumed every update', 30_000);

    // Every request was answered; everything the schemas refuse was refused with a code and a message.
    expect(unanswered).toEqual([]);
    expect(replies).toHaveLength(requests.length);
    const schemaValid = (s: Sent) => { try { return s.schema!.safeParse(decode(s.bytes, MAX_BYTES)).success; } catch { return false; } };
    const unclear = replies.filter((r) => !r.ok && !ErrorBodySchema.safeParse(r.error).success);
    const acceptedInvalid = replies.filter((r) => r.ok && !schemaValid(r.sent));
    const okTypes = new Set(replies.filter((r) => r.ok).map((r) => (decode(r.sent.bytes, MAX_BYTES) as { type: string }).type));
    expect(unclear).toEqual([]);
    expect(acceptedInvalid.map((r) => r.sent.kind)).toEqual([]);
    expect([...okTypes].filter((t) => !['PING', 'USAGE', 'KILL', 'SHUTDOWN_FRAMEWORK'].includes(t))).toEqual([]);

    // Nothing changed, both are up and still work.
    expect(await masterState()).toEqual(before.master);
    expect(await agentState()).toEqual(before.agent);
    expect((await fetch(`${master.httpUrl}/health`)).status).toBe(200);
    const logLines = masterLog.length + agentLog.length - logsBefore;
    const refused = replies.filter((r) => !r.ok).length;
    report('fuzz (10,000 messages)', { requests: requests.length, refused, updates: updates.length, badUpdatesCounted: master.master.counters.badMessages, logLines });
    expect(logLines).toBeLessThan(200);
    await fw.driver.revive();
    fw.add({ taskId: 'after-fuzz', resources: 'cpus:0.1;mem:16', command: 'echo ok' });
    await eventually(() => fw.latest.get('after-fuzz')?.state === 'TASK_FINISHED', 'a task after the flood finishes');
  }, 270_000);
});
