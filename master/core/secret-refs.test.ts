/** ACCEPT and secret references (pure core): names and grants are checked; values never enter the core. */
import { AgentIdSchema } from '../../sdk';
import { CoreHarness, task } from './test-support';

const A = AgentIdSchema.parse('a1');
const grants: Record<string, ReadonlySet<string>> = {
  'db-pass': new Set(['spark']),
  shared: new Set(['*']),
};

function harness(): CoreHarness {
  const h = new CoreHarness({ offerTimeoutMs: 0 });
  h.core.secrets = { grantsOf: (name) => grants[name] };
  h.register(A, 'cpus:4;mem:1024');
  return h;
}
const withSecrets = (id: string, secrets: Record<string, string>) => ({
  ...task(id, A, 'cpus:1;mem:64'),
  secrets,
});

it('launches a task whose secrets its principal is granted; the LAUNCH carries the names only', () => {
  const h = harness();
  h.call('spark', { type: 'SUBSCRIBE', framework: { id: 'spark', name: 'spark', principal: 'spark' } });
  const r = h.launch('spark', withSecrets('t1', { DB_PASSWORD: 'db-pass', S: 'shared' }));
  expect(r).toEqual({ launched: ['t1'], errors: [] });
  const [launch] = h.commands('LAUNCH');
  expect(launch.command).toMatchObject({ task: { secrets: { DB_PASSWORD: 'db-pass', S: 'shared' } } });
  expect(launch.command).not.toHaveProperty('secretEnv');
});

it('refuses, as TASK_ERROR naming the secret and the permission, a task naming a secret not granted or missing; nothing launches', () => {
  const h = harness();
  h.call('other', { type: 'SUBSCRIBE', framework: { id: 'other', name: 'other', principal: 'other' } });
  const r = h.launch('other', withSecrets('t1', { DB_PASSWORD: 'db-pass' }), withSecrets('t2', { X: 'nope' }));
  expect(r.launched).toEqual([]);
  expect(r.errors).toEqual([
    "operations[0].tasks[0].secrets.DB_PASSWORD: principal 'other' may not read secret 'db-pass' (permission secret:read not granted; agora secret grant db-pass other)",
    "operations[0].tasks[1].secrets.X: no secret 'nope' (create it with agora secret put nope)",
  ]);
  expect(h.appended()).toEqual([
    ['t1', 'TASK_ERROR', 'INVALID_TASK'],
    ['t2', 'TASK_ERROR', 'INVALID_TASK'],
  ]);
  expect(h.commands('LAUNCH')).toEqual([]);
  expect(h.core.state.tasks.size).toBe(0);
  expect(h.offered('other')).toBe('cpus:4;mem:1024');
});

it('a framework without a principal reads only secrets granted to *', () => {
  const h = harness();
  h.subscribe('anon');
  expect(h.launch('anon', withSecrets('t1', { S: 'shared' })).launched).toEqual(['t1']);
  expect(h.launch('anon', withSecrets('t2', { P: 'db-pass' })).errors).toEqual([
    expect.stringContaining("a framework without a principal may not read secret 'db-pass'"),
  ]);
});
