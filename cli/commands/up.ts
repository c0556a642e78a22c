/**
 * `agora up`: one supervised local cluster — nats-server (JetStream), a master, an agent offering this machine,
 * every framework that ships and the cluster's DNS server — each its own child process, the same commands an
 * operator runs per machine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { DataDirInUseError, defaultSecretKeyPath, lockDataDir, type DataDirLock } from 'agora/sdk/operator';
import { DEFAULT_HOME, upTokenFile } from '../auth';
import { action, color, examples, CliError, EXIT } from '../common';
import { BIN_DIR } from './passthrough';
import { findSetpriv, Supervisor } from '../up/supervisor';
import { checkHostsPrerequisites, describeHosts, upHosts, type HostsCluster } from '../up/hosts/run';

const FRAMEWORKS = ['service', 'cron'] as const;

export function registerUpCommand(program: Command): void {
  const cmd = program
    .command('up')
    .description(
      'run a whole local cluster: nats-server, master, agent and the shipped frameworks (Ctrl-C stops it all; if `agora up` itself dies, they all end with it)',
    )
    .option('--nats-port <port>', 'NATS client port', '4222')
    .option('--http-port <port>', "master's HTTP port (API and status page)", '5050')
    .option(
      '--http-host <host>',
      "master's HTTP listen address (0.0.0.0 opens the API to the network; it needs a token either way)",
      '127.0.0.1',
    )
    .option('--anonymous <role>', 'role of HTTP requests without a token: none or viewer', 'none')
    .option(
      '--data-dir <dir>',
      'where everything keeps its state (env AGORA_HOME)',
      process.env.AGORA_HOME ?? './.agora',
    )
    .option('--agent-resources <text>', "resources for the agent instead of detected ones, e.g. 'cpus:4;mem:8192'")
    .option('--no-frameworks', 'do not start the service and cron frameworks')
    .option('--dns-port <port>', "the cluster's DNS server (apps as <app>.agora., UDP and TCP on 127.0.0.1)", '8600')
    .option('--no-dns', "do not start the cluster's DNS server")
    .option(
      '--hosts <n>',
      'as root: N "machines" (network namespaces on a bridge, 198.18.0.0/15) each with a nats-server node and an agent; the master on host 1 (see docs/deploy.md)',
    );
  examples(cmd, [
    'agora up',
    'agora up --nats-port 4333 --http-port 5151 --dns-port 8700 --data-dir /tmp/agora2   # a second cluster beside the first (one `agora up` per data dir)',
  ]);
  cmd.action(
    action(async (o) => {
      const natsPort = port(o.natsPort, '--nats-port');
      const httpPort = port(o.httpPort, '--http-port');
      const dnsPort = port(o.dnsPort, '--dns-port');
      const dataDir = resolve(o.dataDir);
      if (o.anonymous !== 'none' && o.anonymous !== 'viewer')
        throw new CliError(`--anonymous: '${o.anonymous}' must be none or viewer`, EXIT.USAGE);
      const hosts = o.hosts === undefined ? undefined : Number(o.hosts);
      if (hosts !== undefined && (!Number.isInteger(hosts) || hosts < 1 || hosts > 32))
        throw new CliError(`--hosts: '${o.hosts}' must be a whole number from 1 to 32`, EXIT.USAGE);
      if (hosts !== undefined) checkHostsPrerequisites();
      const setpriv = findSetpriv();
      if (!setpriv)
        throw new CliError(
          'setpriv (util-linux) is not installed; agora up needs it so that its children end with it. Run `npm run setup` or install util-linux.',
          EXIT.UNAVAILABLE,
        );
      // Before anything else touches the data dir: a second `agora up` on it refuses here, and the first is unharmed.
      const lock = lockUp(dataDir);
      mkdirSync(join(dataDir, 'nats'), { recursive: true });
      const natsUrl = `nats://127.0.0.1:${natsPort}`;
      const say = (line: string) => process.stderr.write(`${color.cyan('agora up:')} ${line}\n`);
      const sup = new Supervisor(say, setpriv);
      let stopping = false;
      let multi: HostsCluster | undefined;
      const stop = async (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        say(`${signal}: stopping every component (tasks included)…`);
        multi?.stopReplication();
        await Promise.all(multi?.forwarders.map((f) => f.close()) ?? []);
        await sup.stop();
        lock.release();
        say('stopped');
        process.exit(0);
      };
      // SIGHUP is a closed terminal: the same orderly stop as Ctrl-C.
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
        process.on(signal, () => {
          stop(signal).catch((err: unknown) => {
            say(`error while stopping: ${(err as Error).message}`);
            process.exit(1);
          });
        });
      }
      let started: string[];
      try {
        if (hosts !== undefined) {
          const ho = {
            hosts,
            dataDir,
            natsPort,
            httpPort,
            dnsPort: o.dns ? dnsPort : undefined,
            frameworks: o.frameworks ? FRAMEWORKS : [],
            agentResources: o.agentResources,
            binDir: BIN_DIR,
            natsServer: natsServer(),
            say,
          };
          multi = await upHosts(sup, ho);
          say(describeHosts(multi, ho));
          await new Promise(() => undefined);
        }
        started = await startAll(sup, {
          natsPort,
          httpPort,
          httpHost: o.httpHost,
          anonymous: o.anonymous,
          dataDir,
          natsUrl,
          agentResources: o.agentResources,
          frameworks: o.frameworks,
          dnsPort: o.dns ? dnsPort : undefined,
        });
      } catch (err) {
        // A component that did not come up: stop the ones that did, so a failed start leaves nothing running.
        stopping = true;
        await sup.stop();
        lock.release();
        throw err;
      }
      say(`cluster is up
  NATS        ${natsUrl}
  master      http://${o.httpHost === '0.0.0.0' ? '127.0.0.1' : o.httpHost}:${httpPort}   (status page; API at /api/v1/state)
  admin token ${upTokenFile(dataDir)}   (the CLI reads it${resolve(process.env.AGORA_HOME ?? DEFAULT_HOME) === dataDir ? '' : ` with AGORA_HOME=${dataDir}`}; paste it into the page)
  secret key  ${defaultSecretKeyPath(resolve(join(dataDir, 'master')))}   (seals agora secret values; created at the first one; keep a backup apart from the data dir)
  metrics     http://127.0.0.1:${httpPort}/metrics   (Prometheus: deploy/prometheus/, docs/monitoring.md)
  agent       ${hostname()}
  frameworks  ${started.length > 0 ? started.join(', ') : 'none'}
  dns         ${o.dns ? `127.0.0.1:${dnsPort}   (dig @127.0.0.1 -p ${dnsPort} <app>.agora)` : 'off'}
  data dir    ${dataDir}   (pid ${process.pid} holds it)
Try: npx agora run -- sh -c 'echo hello; exit 3'    (Ctrl-C here stops everything)`);
      await new Promise(() => undefined);
    }),
  );
}

interface UpPlan {
  natsPort: number;
  httpPort: number;
  httpHost: string;
  anonymous: string;
  dataDir: string;
  natsUrl: string;
  agentResources?: string;
  frameworks: boolean;
  dnsPort?: number;
}

/** Starts nats-server, the master, the agent, the frameworks and the DNS server in order; returns the frameworks started. */
async function startAll(sup: Supervisor, p: UpPlan): Promise<string[]> {
  const node = process.execPath;
  const env = { AGORA_NATS: p.natsUrl };
  const { dataDir, natsUrl } = p;
  await sup.start({
    name: 'nats-server',
    command: natsServer(),
    args: [
      '-a',
      '127.0.0.1',
      '-p',
      String(p.natsPort),
      '-js',
      '-sd',
      join(dataDir, 'nats'),
      '-l',
      join(dataDir, 'nats', 'nats-server.log'),
    ],
    ready: () => waitPort(p.natsPort, 'nats-server'),
  });
  await sup.start({
    name: 'master',
    command: node,
    env,
    args: [
      join(BIN_DIR, 'agora-master'),
      '--nats',
      natsUrl,
      '--http-host',
      p.httpHost,
      '--http-port',
      String(p.httpPort),
      '--anonymous',
      p.anonymous,
      '--data-dir',
      join(dataDir, 'master'),
    ],
    ready: () => waitHttp(`http://${p.httpHost === '0.0.0.0' ? '127.0.0.1' : p.httpHost}:${p.httpPort}/health`),
  });
  await sup.start({
    name: 'agent',
    command: node,
    env,
    args: [
      join(BIN_DIR, 'agora-agent'),
      '--nats',
      natsUrl,
      '--work-dir',
      join(dataDir, 'agent'),
      '--http-port',
      '0',
      ...(p.agentResources ? ['--resources', p.agentResources] : []),
    ],
  });
  const started: string[] = [];
  if (p.frameworks) {
    for (const f of FRAMEWORKS) {
      const bin = join(BIN_DIR, `agora-${f}`);
      if (!existsSync(bin)) continue;
      await sup.start({ name: f, command: node, env, args: [bin, '--nats', natsUrl, '--data-dir', join(dataDir, f)] });
      started.push(f);
    }
  }
  // The load balancer (lb/), when Debian's haproxy is installed: HAProxy in front of apps with a loadBalancer port.
  if (p.frameworks && ['/usr/sbin/haproxy', '/usr/bin/haproxy'].some((bin) => existsSync(bin))) {
    await sup.start({
      name: 'lb',
      command: node,
      env,
      args: [join(BIN_DIR, 'agora-lb'), '--nats', natsUrl, '--data-dir', join(dataDir, 'lb')],
    });
    started.push('lb');
  }
  if (p.dnsPort !== undefined)
    await sup.start({
      name: 'dns',
      command: node,
      env,
      args: [join(BIN_DIR, 'agora-dns'), '--nats', natsUrl, '--host', '127.0.0.1', '--port', String(p.dnsPort)],
    });
  return started;
}

function lockUp(dataDir: string): DataDirLock {
  try {
    return lockDataDir(dataDir, 'agora up');
  } catch (err) {
    if (err instanceof DataDirInUseError)
      throw new CliError(`${err.message} (--data-dir, env AGORA_HOME)`, EXIT.FAILED);
    throw err;
  }
}

function port(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new CliError(`${flag}: '${v}' is not a port number (1–65535)`, EXIT.USAGE);
  return n;
}

function natsServer(): string {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'])
    if (existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new CliError(
      'nats-server is not installed. Run `npm run setup` (as root on Debian it installs the nats-server package) or install it yourself.',
      EXIT.UNAVAILABLE,
    );
  }
}

async function waitPort(p: number, what: string): Promise<void> {
  const net = await import('node:net');
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(p, '127.0.0.1', () => {
        s.end();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CliError(`${what} did not start listening on port ${p} (is the port taken?)`, EXIT.UNAVAILABLE);
}

async function waitHttp(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new CliError(`the master did not answer on ${url}`, EXIT.UNAVAILABLE);
}
