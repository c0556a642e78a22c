/** DESTROY_VOLUMES: forwarded to an ACTIVE agent with the caller's framework id; refused by field otherwise. */
import type { AgentId } from '../../sdk';
import { testMaster, type TestMaster } from '../test-support';

const A = 'a1' as AgentId;

describe('DESTROY_VOLUMES', () => {
  let h: TestMaster;
  afterEach(() => h.close());

  it('forwards to the agent as the calling framework and answers what the agent did', async () => {
    h = testMaster();
    await h.registerAgent(A, 'cpus:4;mem:1024;disk:1000');
    await h.subscribe('f1');
    h.nats.agentReply = (_subject, cmd) =>
      cmd.type === 'DESTROY_VOLUMES'
        ? { ok: true, destroyed: cmd.persistenceIds.slice(0, 1), missing: cmd.persistenceIds.slice(1) }
        : { ok: true };
    expect(
      await h.call('f1', { type: 'DESTROY_VOLUMES', agentId: A, persistenceIds: ['app.s1.0', 'app.s2.0'] }),
    ).toEqual({ destroyed: ['app.s1.0'], missing: ['app.s2.0'] });
    expect(h.nats.requests.map((r) => r.data)).toContainEqual({
      type: 'DESTROY_VOLUMES',
      frameworkId: 'f1',
      persistenceIds: ['app.s1.0', 'app.s2.0'],
    });
  });

  it('names the field: an unknown agent, a bad persistence id', async () => {
    h = testMaster();
    await h.subscribe('f1');
    await expect(
      h.call('f1', { type: 'DESTROY_VOLUMES', agentId: 'nope', persistenceIds: ['x'] }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', field: 'agentId' });
    await expect(async () =>
      h.call('f1', { type: 'DESTROY_VOLUMES', agentId: A, persistenceIds: ['../etc'] }),
    ).rejects.toThrow(/persistenceIds/);
  });
});
