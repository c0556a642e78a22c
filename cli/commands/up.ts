/**
 * `agora up`: one supervised local cluster — nats-server (JetStream), a master, an agent offering this machine,
 * and every framework that ships — each its own child process, the same commands an operator runs per machine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { action, color, examples, CliError, EXIT } from '../common';
import { BIN_DIR } from './passthrough';
import { Supervisor } from '../up/supervisor';

const FRAMEWORKS = ['service', 'cron'] as const;

export function registerUpCommand(program: Command): void {
  const cmd = program.command('up')
    .description('run a whole local cluster: nats-server, master, agent and the shipped frameworks (Ctrl-C stops it all)')
    .option('--nats-port <port>', 'NATS client port', '4222')
    .option('--http-port <port>', "master's HTTP port (API and status page)", '5050')
    .option('--data-dir <dir>', 'where everything keeps its state (env AGORA_HOME)', process.env.AGORA_HOME ?? './.agora')
    .option('--agent-resources <text>', "resources for the agent instead of detected ones, e.g. 'cpus:4;mem:8192'")
    .option('--no-frameworks', 'do not start the service and cron frameworks');
  examples(cmd, ['agora up', 'agora up --nats-port 4333 --http-port 5151 --data-dir /tmp/agora2   # a second cluster beside the first']);
  cmd.action(action(async (o) => {
    const natsPort = port(o.natsPort, '--nats-port');
    const httpPort = port(o.httpPort, '--http-port');
    const dataDir = resolve(o.dataDir);
    mkdirSync(join(dataDir, 'nats'), { recursive: true });
    const natsUrl = `nats://127.0.0.1:${natsPort}`;
    const say = (line: string) => process.stderr.write(`${color.cyan('agora up:')} ${line}\n`);
    const sup = new Supervisor(say);
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      say('stopping every component (tasks included)…');
      await sup.stop();
      say('stopped');
      process.exit(0);
    };
    process.on('SIGINT', () => void stop());
    process.on('SIGTERM', () => void stop());
    const node = process.execPath;
    const env = { AGORA_NATS: natsUrl };
    await sup.start({ name: 'nats-server', command: natsServer(), args: ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', join(dataDir, 'nats'), '-l', join(dataDir, 'nats', 'nats-server.log')], ready: () => waitPort(natsPort, 'nats-server') });
    await sup.start({ name: 'master', command: node, env, args: [join(BIN_DIR, 'agora-master'), '--nats', natsUrl, '--http-port', String(httpPort), '--data-dir', join(dataDir, 'master')], ready: () => waitHttp(`http://127.0.0.1:${httpPort}/health`) });
    await sup.start({ name: 'agent', command: node, env, args: [join(BIN_DIR, 'agora-agent'), '--nats', natsUrl, '--work-dir', join(dataDir, 'agent'), ...(o.agentResources ? ['--resources', o.agentResources] : [])] });
    const started: string[] = [];
    if (o.frameworks) {
      for (const f of FRAMEWORKS) {
        const bin = join(BIN_DIR, `agora-${f}`);
        if (!existsSync(bin)) continue;
        await sup.start({ name: f, command: node, env, args: [bin, '--nats', natsUrl, '--data-dir', join(dataDir, f)] });
        started.push(f);
      }
    }
    // The load balancer (lb/), when Debian's haproxy is installed: HAProxy in front of apps with a loadBalancer port.
    if (o.frameworks && ['/usr/sbin/haproxy', '/usr/bin/haproxy'].some((p) => existsSync(p))) {
      await sup.start({ name: 'lb', command: node, env, args: [join(BIN_DIR, 'agora-lb'), '--nats', natsUrl, '--data-dir', join(dataDir, 'lb')] });
      started.push('lb');
    }
    say(`cluster is up
  NATS        ${natsUrl}
  master      http://127.0.0.1:${httpPort}   (status page; API at /api/v1/state)
  agent       ${hostname()}
  frameworks  ${started.length > 0 ? started.join(', ') : 'none'}
  data dir    ${dataDir}
Try: npx agora run -- sh -c 'echo hello; exit 3'    (Ctrl-C here stops everything)`);
    await new Promise(() => undefined);
  }));
}

function port(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new CliError(`${flag}: '${v}' is not a port number (1–65535)`, EXIT.USAGE);
  return n;
}

function natsServer(): string {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) if (existsSync(p)) return p;
  try { return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim(); } catch {
    throw new CliError('nats-server is not installed. Run `npm run setup` (as root on Debian it installs the nats-server package) or install it yourself.', EXIT.UNAVAILABLE);
  }
}

async function waitPort(p: number, what: string): Promise<void> {
  const net = await import('node:net');
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((r) => { const s = net.connect(p, '127.0.0.1', () => { s.end(); r(true); }); s.on('error', () => r(false)); });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CliError(`${what} did not start listening on port ${p} (is the port taken?)`, EXIT.UNAVAILABLE);
}

async function waitHttp(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try { if ((await fetch(url)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new CliError(`the master did not answer on ${url}`, EXIT.UNAVAILABLE);
}
