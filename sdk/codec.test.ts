/**
 * The wire is plain msgpack: one sample of every message kind (each built the way the code builds it, with
 * absent optional fields present as `undefined`) is validated by its schema, encoded, and read back by a strict
 * decoder that refuses extension types. test/e2e/wire-plain.it.test.ts checks the same on a live cluster.
 */
import { strictDecode } from '../test/harness/strict-msgpack';
import { decode, encode } from './codec';
import { AgentCallSchema, AgentCommandSchema, AgentUpdateSchema } from './protocol/agent';
import { ErrorBodySchema } from './protocol/common';
import { SchedulerCallSchema, SchedulerEventSchema } from './protocol/scheduler';

const u = undefined;
const resources = [
  { name: 'cpus', role: u, scalar: 1 },
  { name: 'mem', scalar: 128, ranges: u },
  { name: 'ports', ranges: [[31000, 31001]] },
];
const task = {
  taskId: 't-1',
  name: 'web',
  agentId: 'a-1',
  resources,
  command: { shell: true, value: 'sleep 1', arguments: u, env: {}, user: u },
  container: { type: 'NATIVE' },
  healthCheck: u,
  labels: {},
  killGracePeriodMs: u,
  cpuHardCap: u,
};
const framework = {
  id: 'f-1',
  name: 'fw',
  roles: ['*'],
  principal: u,
  user: u,
  hostname: u,
  failoverTimeoutMs: 0,
  webuiUrl: u,
  apiSubject: u,
};
const status = {
  taskId: 't-1',
  frameworkId: 'f-1',
  agentId: 'a-1',
  state: 'TASK_RUNNING',
  reason: u,
  source: 'AGENT',
  message: u,
  exitCode: u,
  signal: u,
  healthy: u,
  timestamp: 1_764_000_000_123,
  uuid: 'u-1',
  ports: u,
  hostname: u,
};

const schedulerCalls = {
  SUBSCRIBE: { type: 'SUBSCRIBE', framework },
  TEARDOWN: { type: 'TEARDOWN' },
  ACCEPT: {
    type: 'ACCEPT',
    offerIds: ['o-1'],
    operations: [
      { type: 'LAUNCH', tasks: [task] },
      { type: 'RESERVE', resources },
    ],
    filters: u,
  },
  DECLINE: { type: 'DECLINE', offerIds: ['o-1'], filters: { refuseSeconds: 5 } },
  REVIVE: { type: 'REVIVE', roles: u },
  SUPPRESS: { type: 'SUPPRESS', roles: ['*'] },
  KILL: { type: 'KILL', taskId: 't-1', agentId: u, gracePeriodMs: u },
  RECONCILE: { type: 'RECONCILE', tasks: [{ taskId: 't-1', agentId: u }] },
  HEARTBEAT: { type: 'HEARTBEAT' },
  USAGE: { type: 'USAGE', taskIds: ['t-1'] },
  DESTROY_VOLUMES: { type: 'DESTROY_VOLUMES', agentId: 'a-1', persistenceIds: ['v-1'] },
};
const schedulerEvents = {
  SUBSCRIBED: { type: 'SUBSCRIBED', frameworkId: 'f-1', masterId: 'm', heartbeatIntervalMs: 1000, reregistered: false },
  OFFERS: {
    type: 'OFFERS',
    offers: [
      {
        id: 'o-1',
        frameworkId: 'f-1',
        agentId: 'a-1',
        hostname: 'h',
        role: '*',
        resources,
        attributes: [{ name: 'rack', text: 'r1', scalar: u, ranges: u }],
        containerizers: ['native'],
      },
    ],
  },
  RESCIND: { type: 'RESCIND', offerId: 'o-1' },
  UPDATE: { type: 'UPDATE', status: { ...status, uuid: u, source: 'MASTER' } },
  FAILURE: { type: 'FAILURE', agentId: 'a-1' },
  ERROR: { type: 'ERROR', message: 'x' },
  HEARTBEAT: { type: 'HEARTBEAT', masterId: 'm' },
};
const agentCalls = {
  REGISTER: {
    type: 'REGISTER',
    agent: {
      id: 'a-1',
      hostname: 'h',
      resources,
      attributes: [],
      containerizers: ['native'],
      httpUrl: u,
      version: '1',
    },
    tasks: [{ task, frameworkId: 'f-1', frameworkInfo: u, state: 'TASK_RUNNING', role: '*' }],
  },
  PING: { type: 'PING' },
  USAGE: {
    type: 'USAGE',
    usage: [
      {
        taskId: 't-1',
        frameworkId: 'f-1',
        usage: {
          cpuUserSeconds: 0.5,
          cpuSystemSeconds: 0,
          memBytes: 1,
          memPeakBytes: 2,
          memLimitBytes: u,
          cpusLimit: u,
          timestamp: 1,
        },
      },
    ],
  },
};
const agentCommands = {
  LAUNCH: { type: 'LAUNCH', frameworkId: 'f-1', framework, role: '*', task, launchId: 'master-1-1' },
  KILL: { type: 'KILL', frameworkId: 'f-1', taskId: 't-1', gracePeriodMs: u, reason: u },
  SHUTDOWN_FRAMEWORK: { type: 'SHUTDOWN_FRAMEWORK', frameworkId: 'f-1' },
  FILES_LIST: { type: 'FILES_LIST', frameworkId: 'fw-1', taskId: 't-1' },
  FILES_READ: { type: 'FILES_READ', frameworkId: 'fw-1', taskId: 't-1', path: 'stdout', offset: 0, length: 10 },
  STATE: { type: 'STATE' },
  RECONCILE_LAUNCHES: {
    type: 'RECONCILE_LAUNCHES',
    launches: [{ frameworkId: 'f-1', taskId: 't-1', launchId: 'master-1-1' }],
  },
  DESTROY_VOLUMES: { type: 'DESTROY_VOLUMES', frameworkId: 'f-1', persistenceIds: ['v-1'] },
};

function typesOf(schema: { options: readonly { shape: { type: { value: string } } }[] }): string[] {
  return schema.options.map((o) => o.shape.type.value).sort();
}

/** What a JSON round trip keeps: properties whose value is undefined are gone. */
const withoutUndefined = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('the wire is plain msgpack', () => {
  const groups: [
    string,
    { options: readonly { shape: { type: { value: string } } }[]; safeParse(v: unknown): { success: boolean } },
    Record<string, unknown>,
  ][] = [
    ['scheduler call', SchedulerCallSchema, schedulerCalls],
    ['scheduler event', SchedulerEventSchema, schedulerEvents],
    ['agent call', AgentCallSchema, agentCalls],
    ['agent command', AgentCommandSchema, agentCommands],
  ];

  it.each(groups)('has a sample of every %s kind', (_what, schema, samples) => {
    expect(Object.keys(samples).sort()).toEqual(typesOf(schema));
  });

  for (const [what, schema, samples] of groups) {
    it.each(Object.entries(samples))(`${what} %s decodes strictly, without its absent fields`, (_type, sample) => {
      expect(schema.safeParse(sample).success).toBe(true);
      const bytes = encode(sample);
      expect(strictDecode(bytes)).toEqual(withoutUndefined(sample));
      expect(decode(bytes)).toEqual(withoutUndefined(sample));
    });
  }

  it('an agent update, a reply and an error reply decode strictly', () => {
    const update = { status };
    expect(AgentUpdateSchema.safeParse(update).success).toBe(true);
    const error = { code: 'INVALID', message: 'bad', field: u, issues: u };
    expect(ErrorBodySchema.safeParse(error).success).toBe(true);
    for (const m of [update, { ok: true, launched: ['t-1'], errors: [] }, { ok: false, error }]) {
      expect(strictDecode(encode(m))).toEqual(withoutUndefined(m));
    }
  });

  it('undefined outside a map (an array element, a bare value) becomes nil, never an extension', () => {
    expect(Buffer.from(encode(undefined)).toString('hex')).toBe('c0');
    expect(strictDecode(encode([1, undefined, 2]))).toEqual([1, null, 2]);
    expect(Buffer.from(encode({ a: undefined })).toString('hex')).toBe('80');
  });

  it('the strict decoder refuses what msgpackr alone would write for undefined', () => {
    expect(() => strictDecode(Uint8Array.from([0x81, 0xa1, 0x61, 0xd4, 0x00, 0x00]))).toThrow(
      /extension type \(0xd4\) .* at byte 3/,
    );
  });
});
