/**
 * Generators of bad messages for the fuzz test (fast-check): random bytes, truncated and bit-flipped msgpack of
 * real calls, wrong types, missing fields, unknown kinds, huge arrays, deep nesting, oversize payloads and
 * forged ids. Templates are chosen so that no mutation can turn one into a call that changes state: the
 * scheduler templates go to framework ids the master does not know, REGISTER names an agent other than its
 * subject's, LAUNCH lacks two required fields, KILL and SHUTDOWN name frameworks that do not exist.
 */
import fc from 'fast-check';
import { encode } from 'agora/sdk';

export type Template = Record<string, unknown>;

const task = {
  taskId: 'fuzz-task',
  name: 'fuzz',
  agentId: 'fuzz-agent',
  resources: [{ name: 'cpus', scalar: 0.1 }],
  command: { value: 'true' },
};

export const schedulerTemplates = (): Template[] => [
  { type: 'SUBSCRIBE', framework: { id: 'someone-else', name: 'x', roles: ['*'] } },
  { type: 'ACCEPT', offerIds: ['o-1'], operations: [{ type: 'LAUNCH', tasks: [task] }] },
  { type: 'DECLINE', offerIds: ['o-1'], filters: { refuseSeconds: 1 } },
  { type: 'KILL', taskId: 'fuzz-task', agentId: 'fuzz-agent' },
  { type: 'RECONCILE', tasks: [{ taskId: 'fuzz-task' }] },
  { type: 'REVIVE', roles: ['*'] },
  { type: 'SUPPRESS' },
  { type: 'HEARTBEAT' },
  { type: 'TEARDOWN' },
];

export const agentCallTemplates = (realAgentId: string): Template[] => [
  {
    type: 'REGISTER',
    agent: {
      id: realAgentId,
      hostname: 'h',
      resources: [{ name: 'cpus', scalar: 1 }],
      attributes: [],
      containerizers: ['native'],
      version: '1',
    },
    tasks: [],
  },
  { type: 'PING' },
  {
    type: 'USAGE',
    usage: [
      {
        taskId: 'fuzz-task',
        frameworkId: 'nobody',
        usage: { cpuUserSeconds: 1, cpuSystemSeconds: 1, memBytes: 1, memPeakBytes: 1, timestamp: 1 },
      },
    ],
  },
];

export const agentCommandTemplates = (): Template[] => [
  // Two independent defects (no task.resources, no framework.name): one mutation cannot make it launchable.
  {
    type: 'LAUNCH',
    frameworkId: 'no-such-fw',
    framework: { id: 'no-such-fw' },
    role: '*',
    task: { taskId: 'fuzz-task', name: 'fuzz', agentId: 'fuzz-agent', command: { value: 'true' } },
  },
  { type: 'KILL', frameworkId: 'no-such-fw', taskId: 'fuzz-task' },
  { type: 'SHUTDOWN_FRAMEWORK', frameworkId: 'no-such-fw' },
  { type: 'FILES_LIST', frameworkId: 'no-such-framework', taskId: 'no-such-task' },
  {
    type: 'FILES_READ',
    frameworkId: 'no-such-framework',
    taskId: 'no-such-task',
    path: 'stdout',
    offset: 0,
    length: 10,
  },
];

export const updateTemplates = (agentId: string): Template[] => [
  {
    status: {
      taskId: 'fuzz-task',
      frameworkId: 'no-such-fw',
      agentId,
      state: 'TASK_FINISHED',
      source: 'AGENT',
      timestamp: 1,
      uuid: 'u',
    },
  },
];

/** Values of the wrong type for any field of the templates (ids are ≤128 chars, enums are fixed words). */
const wrongValue = fc.oneof(
  fc.constantFrom(null, 42, -1, 1.5, true, [], {}, '', 'x'.repeat(300), Number.MAX_SAFE_INTEGER, -0.000001),
  fc.array(fc.integer(), { minLength: 1, maxLength: 5 }),
);

function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== 'object') return [prefix];
  const out: (string | number)[][] = prefix.length > 0 ? [prefix] : [];
  for (const [k, c] of Object.entries(v)) out.push(...paths(c, [...prefix, Array.isArray(v) ? Number(k) : k]));
  return out;
}

function setAt(root: Template, path: (string | number)[], value: unknown, remove = false): Template {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const p of path.slice(0, -1)) node = node[p] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove) delete node[last];
  else node[last] = value;
  return copy;
}

export interface BadMessage {
  kind: string;
  bytes: Uint8Array;
}

/** One bad message made from `templates`; `forged` templates (REGISTER/PING…) are whole messages already refused. */
export function badMessage(templates: Template[], maxBytes: number, structuralOnly = false): fc.Arbitrary<BadMessage> {
  const template = fc.constantFrom(...templates);
  const enc =
    (kind: string) =>
    (t: Template): BadMessage => ({ kind, bytes: encode(t) });
  const structural: fc.Arbitrary<BadMessage>[] = [
    fc.uint8Array({ minLength: 0, maxLength: 64 }).map((bytes) => ({ kind: 'random bytes', bytes })),
    fc.tuple(template, fc.double({ min: 0.05, max: 0.95, noNaN: true })).map(([t, f]) => {
      const b = encode(t);
      return { kind: 'truncated msgpack', bytes: b.slice(0, Math.max(1, Math.floor(b.length * f))) };
    }),
    fc
      .tuple(fc.constantFrom('DANCE', 'launch', 'REGISTERX', '', 'Subscribe'), template)
      .map(([type, t]) => enc('unknown kind')({ ...t, type })),
    fc
      .tuple(template, fc.integer({ min: 1, max: 4 }))
      .map(([t, k]) => ({ kind: 'oversize', bytes: encode({ ...t, pad: 'x'.repeat((maxBytes * k) / 4 + maxBytes) }) })),
    fc
      .integer({ min: 100_001, max: 120_000 })
      .map((n) => enc('huge array')({ type: 'RECONCILE', tasks: new Array(n).fill(0) })),
    fc.constantFrom<unknown>(42, 'string', null, true, [1, 2, 3]).map((v) => ({ kind: 'not a map', bytes: encode(v) })),
  ];
  if (structuralOnly) return fc.oneof(...structural);
  return fc.oneof(
    ...structural,
    fc
      .tuple(template, wrongValue, fc.nat())
      .filter(([t]) => paths(t).length > 1)
      .map(([t, v, i]) => {
        const ps = paths(t).filter((p) => p[0] !== 'type');
        return enc('wrong type')(setAt(t, ps[i % ps.length], v));
      }),
    fc.tuple(template, fc.nat()).map(([t, i]) => {
      const ps = paths(t).filter((p) => p.length === 1 && p[0] !== 'type');
      return ps.length === 0
        ? enc('missing field')({ ...t, type: 42 })
        : enc('missing field')(setAt(t, ps[i % ps.length], undefined, true));
    }),
    fc.tuple(template, fc.integer({ min: 2_000, max: 20_000 })).map(([t, n]) => {
      const key = Object.keys(t).find((k) => k !== 'type') ?? 'extra';
      return enc('huge array field')({ ...t, [key]: new Array(n).fill('x') });
    }),
    template.map((t) => {
      let deep: unknown = t;
      for (let i = 0; i < 200; i++) deep = { type: t.type, nested: deep };
      return enc('deep nesting')(deep as Template);
    }),
  );
}
