/**
 * Fairness end to end through the SDK, with real frameworks, a real master and a real agent running the tasks.
 * The DRF paper's example (Ghodsi et al., NSDI 2011): on cpus:9;mem:18432, A's tasks <1 cpu, 4096 MB> and
 * B's <3 cpus, 1024 MB> settle at A = 3 tasks, B = 2 tasks.
 */
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { GreedyFramework } from '../harness/greedy-framework';

async function settle(fws: GreedyFramework[], quietMs = 1500): Promise<number[]> {
  let last = '';
  let since = Date.now();
  for (;;) {
    const now = fws.map((f) => f.running.size).join(',');
    if (now !== last) {
      last = now;
      since = Date.now();
    }
    if (Date.now() - since >= quietMs) return fws.map((f) => f.running.size);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('hierarchical DRF through the SDK', () => {
  let cluster: TestCluster;
  const fws: GreedyFramework[] = [];
  afterEach(async () => {
    for (const f of fws.splice(0)) await f.driver.stop({ failover: false }).catch(() => undefined);
    await cluster?.stop();
  });

  it('settles the DRF paper example at A = 3, B = 2', async () => {
    cluster = await startCluster({ agents: [{ resources: 'cpus:9;mem:18432;disk:1000' }] });
    const a = new GreedyFramework(cluster.natsUrl, 'A', 'a', 'cpus:1;mem:4096');
    const b = new GreedyFramework(cluster.natsUrl, 'B', 'b', 'cpus:3;mem:1024');
    fws.push(a, b);
    await Promise.all([a.driver.start(), b.driver.start()]);
    await eventually(() => a.running.size + b.running.size >= 5, 'five tasks', 20_000);
    expect(await settle([a, b])).toEqual([3, 2]);
    // What the tasks hold: A <3 cpus, 12288 MB>, B <6 cpus, 2048 MB> — both at a dominant share of 2/3.
    const listed = (await (await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/frameworks`)).json()) as {
      frameworks: { name: string; allocatedScalars: Record<string, number> }[];
    };
    const held = Object.fromEntries(listed.frameworks.map((f) => [f.name, f.allocatedScalars]));
    expect(held.A).toMatchObject({ cpus: 3, mem: 12288 });
    expect(held.B).toMatchObject({ cpus: 6, mem: 2048 });
    // The role view counts the leftover offer too (Mesos's accounting), so a share is at least the tasks' 2/3.
    const roles = (await (await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/roles`)).json()) as {
      roles: { role: string; share: number }[];
    };
    const share = Object.fromEntries(roles.roles.map((r) => [r.role, r.share]));
    expect(share.a).toBeGreaterThanOrEqual(2 / 3 - 0.001);
    expect(share.b).toBeGreaterThanOrEqual(2 / 3 - 0.001);
  });

  it('splits 2:1 with weights 2:1, set through the operator API', async () => {
    cluster = await startCluster({ agents: [{ resources: 'cpus:12;mem:12288;disk:1000' }] });
    const put = await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/roles/heavy`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ weight: 2 }),
    });
    expect(put.status).toBe(200);
    const heavy = new GreedyFramework(cluster.natsUrl, 'H', 'heavy', 'cpus:1;mem:1024');
    const light = new GreedyFramework(cluster.natsUrl, 'L', 'light', 'cpus:1;mem:1024');
    fws.push(heavy, light);
    await Promise.all([heavy.driver.start(), light.driver.start()]);
    await eventually(() => heavy.running.size + light.running.size >= 12, 'the agent to fill up', 20_000);
    const [h, l] = await settle([heavy, light]);
    expect(h + l).toBe(12);
    expect(Math.abs(h - 2 * l)).toBeLessThanOrEqual(2);
  });

  it('caps a role at its limit while the agent has capacity to spare, and offers the rest to others', async () => {
    // 8 free cpus and a greedy framework: without the limit it would hold all 8 (capacity would not stop it at 2).
    cluster = await startCluster({ agents: [{ resources: 'cpus:8;mem:8192;disk:1000' }] });
    const put = await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/roles/capped`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ limit: 'cpus:2;mem:2048' }),
    });
    expect(put.status).toBe(200);
    const held: number[] = [];
    const sample = async () => {
      const r = (await (await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/roles`)).json()) as {
        roles: { role: string; allocatedScalars: Record<string, number> }[];
      };
      held.push(r.roles.find((x) => x.role === 'capped')?.allocatedScalars.cpus ?? 0); // offered or used
    };
    const capped = new GreedyFramework(cluster.natsUrl, 'C', 'capped', 'cpus:1;mem:256');
    fws.push(capped);
    await capped.driver.start();
    await eventually(
      async () => {
        await sample();
        return capped.running.size >= 2;
      },
      'the capped role to run 2 tasks',
      20_000,
    );
    // 20 more allocation cycles with 6 cpus free: each could have offered them to the capped role.
    const cycles = cluster.master.master.allocation.cycles;
    await eventually(
      async () => {
        await sample();
        return cluster.master.master.allocation.cycles >= cycles + 20;
      },
      '20 more allocation cycles',
      20_000,
    );
    expect(capped.running.size).toBe(2);
    expect(Math.max(...held)).toBeLessThanOrEqual(2);
    // The 6 cpus the limit kept from it were free all along: another role gets them.
    const other = new GreedyFramework(cluster.natsUrl, 'O', 'other', 'cpus:1;mem:256');
    fws.push(other);
    await other.driver.start();
    await eventually(
      async () => {
        await sample();
        return other.running.size >= 6;
      },
      'another role to take the other 6 cpus',
      20_000,
    );
    expect(capped.running.size).toBe(2);
    expect(Math.max(...held)).toBeLessThanOrEqual(2);
  });

  it('meets a quota guarantee even when another role asked first, and never exceeds a limit', async () => {
    cluster = await startCluster({ agents: [{ resources: 'cpus:8;mem:8192;disk:1000' }] });
    const early = new GreedyFramework(cluster.natsUrl, 'E', 'early', 'cpus:1;mem:1024');
    fws.push(early);
    await early.driver.start();
    await eventually(() => early.running.size >= 8, 'the early role to take everything it can', 20_000);
    // Quota set while the early role holds everything: nothing is preempted, but what frees up is held back.
    await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/roles/guaranteed`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ guarantee: 'cpus:3;mem:3072' }),
    });
    await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/roles/early`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ limit: 'cpus:5;mem:5120' }),
    });
    for (const t of [...early.running].slice(0, 4)) await early.driver.kill(t);
    await eventually(() => early.running.size <= 5, 'the early role to stay within its limit');
    const late = new GreedyFramework(cluster.natsUrl, 'G', 'guaranteed', 'cpus:1;mem:1024');
    fws.push(late);
    await late.driver.start();
    await eventually(() => late.running.size >= 3, 'the guarantee to be met', 20_000);
    const [e, g] = await settle([early, late]);
    expect(g).toBeGreaterThanOrEqual(3);
    expect(e).toBeLessThanOrEqual(5);
  });
});
