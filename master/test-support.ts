/**
 * A master for shell unit tests: the real Master shell, its core, allocator and SQLite registry (in a temp dir),
 * with NATS replaced by a recording fake and time by a FakeClock — no server, no sleeping. The fake's stream
 * publisher and agent replies can be made to fail, to test the shell's policy for an effect that fails. Not
 * started: tests drive allocation cycles (`offerCycle`) and ticks (`m.tick()`) themselves. (The core alone is
 * driven by core/test-support.ts.)
 *
 *   const h = testMaster();
 *   await h.registerAgent('a1', 'cpus:8;mem:8192');
 *   await h.subscribe('f1', ['web']);
 *   const offers = h.offerCycle('f1');
 *   await h.call('f1', { type: 'ACCEPT', offerIds: [offers[0].id], operations: [] });
 *   h.close();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  FakeClock,
  FrameworkInfoSchema,
  Resources,
  SchedulerCallSchema,
  createLogger,
  decode,
  encode,
  type AgentCommand,
  type AgentId,
  type AgentTask,
  type FrameworkId,
  type SchedulerCallInput,
  type SchedulerEvent,
  type TaskStatus,
} from '../sdk';
import { handleAgentCall } from './agent-calls';
import { HierarchicalDrfAllocator } from './allocator/drf-allocator';
import { DEFAULT_MASTER_CONFIG, type MasterConfig } from './config';
import { Master } from './master';
import type { OfferRecord } from './offer-book';
import { handleSchedulerCall } from './scheduler-calls';

export interface Published {
  subject: string;
  data: unknown;
}

/** Records what the master publishes; answers agent commands with `agentReply` (default `{ ok: true }`). */
export class FakeNats {
  readonly published: Published[] = [];
  readonly requests: { subject: string; data: AgentCommand }[] = [];
  agentReply: (subject: string, command: AgentCommand) => object | Error = () => ({ ok: true });
  publish(subject: string, data: Uint8Array): void {
    this.published.push({ subject, data: decode(data) });
  }
  async request(subject: string, data: Uint8Array): Promise<{ data: Uint8Array }> {
    const command = decode(data) as AgentCommand;
    this.requests.push({ subject, data: command });
    const reply = this.agentReply(subject, command);
    if (reply instanceof Error) throw reply;
    return { data: encode(reply) };
  }
}

/** The framework update stream: records appends; `failNext` makes the next n appends throw. */
export class FakeStream {
  readonly appended: TaskStatus[] = [];
  failNext = 0;
  async publish(_subject: string, data: Uint8Array): Promise<object> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('injected: JetStream publish failed');
    }
    this.appended.push((decode(data) as { status: TaskStatus }).status);
    return {};
  }
}

export interface TestMaster {
  m: Master;
  clock: FakeClock;
  nats: FakeNats;
  stream: FakeStream;
  /** REGISTER (or re-register) an agent, reporting `tasks` as running. */
  registerAgent(id: string, resources: string, tasks?: AgentTask[]): Promise<object>;
  subscribe(id: string, roles?: string[]): Promise<object>;
  call(frameworkId: string, call: SchedulerCallInput): Promise<object>;
  /** Runs one allocation cycle; returns the framework's outstanding offers. */
  offerCycle(frameworkId: string): OfferRecord[];
  /** Events published to a framework. */
  events(frameworkId: string): SchedulerEvent[];
  close(): void;
}

export function testMaster(config: Partial<MasterConfig> = {}): TestMaster {
  const dir = mkdtempSync(join(tmpdir(), 'agora-master-unit-'));
  const clock = new FakeClock();
  const nats = new FakeNats();
  const stream = new FakeStream();
  const m = new Master(
    { ...DEFAULT_MASTER_CONFIG, dataDir: dir, ...config },
    {
      nc: nats as unknown as NatsConnection,
      clock,
      allocator: new HierarchicalDrfAllocator(),
      log: createLogger('master-unit', { level: 'silent', pretty: false }),
    },
  );
  m.js = stream as unknown as JetStreamClient;
  const resolved = async () => ({});
  m.jsm = {
    consumers: { info: resolved, add: resolved, delete: resolved },
    streams: { purge: resolved },
  } as unknown as JetStreamManager;
  return {
    m,
    clock,
    nats,
    stream,
    registerAgent: (id, resources, tasks = []) =>
      handleAgentCall(m, id as AgentId, {
        type: 'REGISTER',
        tasks,
        agent: {
          id: id as AgentId,
          hostname: `${id}.local`,
          resources: Resources.parse(resources).toWire(),
          attributes: [],
          containerizers: ['native'],
          version: 'test',
        },
      }),
    subscribe: (id, roles = ['*']) =>
      handleSchedulerCall(m, id as FrameworkId, {
        type: 'SUBSCRIBE',
        framework: FrameworkInfoSchema.parse({ id, name: id, roles }),
      }),
    call: (frameworkId, call) => handleSchedulerCall(m, frameworkId as FrameworkId, SchedulerCallSchema.parse(call)),
    offerCycle: (frameworkId) => {
      m.allocation.cycle();
      return m.offers.forFramework(frameworkId as FrameworkId);
    },
    events: (frameworkId) =>
      nats.published.filter((p) => p.subject.endsWith(`.${frameworkId}.events`)).map((p) => p.data as SchedulerEvent),
    close: () => {
      m.registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Accepts all of the framework's offers to launch one task (`sleep 1`) on `agentId`, and lets the effects run. */
export async function launchOne(
  h: TestMaster,
  frameworkId: string,
  taskId: string,
  agentId: string,
  resources: string,
) {
  await h.call(frameworkId, {
    type: 'ACCEPT',
    offerIds: h.offerCycle(frameworkId).map((o) => o.id),
    filters: { refuseSeconds: 0 },
    operations: [
      {
        type: 'LAUNCH',
        tasks: [
          {
            taskId,
            name: taskId,
            agentId,
            resources: Resources.parse(resources).toWire(),
            command: { value: 'sleep 1' },
          },
        ],
      },
    ],
  });
  await settle();
}

/** Lets the effects a call started (appends, sends) run to their end. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}
