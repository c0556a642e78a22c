/**
 * `agora principal add|list|revoke` as an operator runs them, against a real nats-server and master: the file
 * `add` writes lets a framework in, a revoked principal is refused from then on, and only operators may manage
 * principals.
 */
import { join } from 'node:path';
import { SchedulerDriver, connectNats } from 'agora/sdk';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { runAgora } from '../harness/agora-cli';

jest.setTimeout(120_000);

describe('agora principal', () => {
  let c: TestCluster;
  beforeAll(async () => { c = await startCluster(); });
  afterAll(async () => { await c?.stop(); });

  it('adds a framework principal whose credentials file works, lists it, and revokes it for good', async () => {
    const out = join(c.dir, 'spark.json');
    const add = await runAgora(c, ['principal', 'add', 'framework', 'spark', '--roles', 'analytics', '--task-users', 'nobody', '-o', out]);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/added framework spark; credentials in/);

    let registered = false;
    const driver = new SchedulerDriver({ natsUrl: c.natsUrl, credentials: out, framework: { name: 'spark-job', roles: ['analytics'] }, scheduler: { registered: () => { registered = true; } } });
    await driver.start();
    await eventually(() => registered, 'spark registered');

    const list = await runAgora(c, ['principal', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'spark', kind: 'framework', roles: ['analytics'], taskUsers: ['nobody'] })]));
    const table = await runAgora(c, ['principal', 'list']);
    expect(table.stdout).toMatch(/^spark\s+framework\s+analytics\s+nobody\s+active$/m);

    const dup = await runAgora(c, ['principal', 'add', 'framework', 'spark', '-o', join(c.dir, 'dup.json')]);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/principal 'spark' exists/);

    const closed = driver.connection.closed();
    const revoke = await runAgora(c, ['principal', 'revoke', 'spark']);
    expect(revoke.code).toBe(0);
    await closed; // NATS disconnected it
    await driver.stop({ failover: false }).catch(() => undefined);
    await expect(connectNats({ servers: c.natsUrl, name: 'spark-again', credentials: out, startTimeoutMs: 3000 })).rejects.toThrow(/refused the credentials of principal 'spark'/);
    expect((await runAgora(c, ['principal', 'list'])).stdout).toMatch(/^spark\s+framework.*revoked/m);
  });

  it('refuses principal calls from a non-operator', async () => {
    const r = await runAgora(c, ['principal', 'list'], { AGORA_CREDS: c.nats.creds('service') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Permissions Violation for Publish to "agora.v1.master.operator.service"/);
  });
});
