/**
 * A master or agent started while NATS is not there keeps retrying and says so in one clear log line, never a
 * stack trace or an exit; once nats-server comes up on that port, both connect and the agent registers.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsServer, freePort } from '../harness/nats-server';
import { Processes, agentIdOf, removeAgentLeftovers } from './processes';

describe('NATS unreachable at start', () => {
  const procs = new Processes();
  let dir: string;
  let nats: NatsServer | undefined;
  let agentId: string | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'agora-faults-'));
    chmodSync(dir, 0o755);
  });
  afterAll(async () => {
    await procs.killAll();
    if (agentId) await removeAgentLeftovers(agentId);
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('master and agent retry with a clear message, then come up when nats-server does', async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const master = procs.master(url, join(dir, 'master'), await freePort());
    const agent = procs.agent(url, join(dir, 'agent'), ['--hostname', 'late-nats', '--containerizers', 'native']);
    for (const p of [master, agent]) {
      const line = JSON.parse(await p.waitForLog(/NATS not reachable yet; retrying/)) as {
        servers: string;
        retryInMs: number;
        level: number;
      };
      expect(line.servers).toBe(url);
      expect(line.retryInMs).toBeGreaterThan(0);
      expect(line.level).toBe(40); // warn
    }
    // Negative window (no exit, no stack trace while retrying): a busy machine can only shorten what it sees.
    await new Promise((r) => setTimeout(r, 1500));
    for (const p of [master, agent]) {
      expect(p.running).toBe(true);
      expect(p.lines.filter((l) => /^\s+at |Error:/.test(l))).toEqual([]);
      expect(p.lines.every((l) => l.startsWith('{'))).toBe(true); // log lines only, nothing raw on stderr
    }
    nats = new NatsServer(port);
    await nats.startProcess();
    await master.waitForLog(/connected to NATS/, 15_000);
    await master.waitForLog(/master listening/, 15_000);
    await agent.waitForLog(/connected to NATS/, 15_000);
    agentId = await agentIdOf(agent);
    expect(master.running && agent.running).toBe(true);
  }, 120_000);
});
