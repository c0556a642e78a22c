/**
 * Starts a real nats-server (JetStream on, storage in a temp dir) on a free port for a test, and can restart
 * it on the same port and storage (fault tests). Fails loudly when nats-server is not installed: in CI it is.
 *
 * Secure by default, as `agora up`: the server runs in operator (JWT) mode with TLS, from a security home made
 * in a temp dir (sdk/security/home.ts) holding every built-in principal's credentials. `AGORA_HOME` is set to it,
 * so components find their own credentials there (master, service, cron, dns, lb) and frameworks and the CLI
 * act as `admin`. `mint()` makes more principals (agents: one each).
 */
import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { credentialsFor, credentialsPath, ensureClusterSecurity, loadIssuer, loadPrincipalStore, savePrincipalStore, securityPaths, upsertPrincipal, writeCredentials, writeNatsConfig, type PermissionGrants, type PrincipalKind, type PrincipalRecord } from '../../sdk';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function natsServerBinary(): string {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) if (existsSync(p)) return p;
  try { return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim(); } catch {
    throw new Error('nats-server is not installed: run `bash scripts/setup.sh` (Debian: apt-get install nats-server)');
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => resolve(typeof a === 'object' && a ? a.port : 0)); });
  });
}

export class NatsServer {
  private proc?: ChildProcess;
  readonly storeDir: string;
  /** The security home's parent (what `AGORA_HOME` points to): `<home>/security`. */
  readonly home: string;
  constructor(readonly port: number, storeDir?: string) {
    this.storeDir = storeDir ?? mkdtempSync(join(tmpdir(), 'agora-nats-'));
    this.home = join(this.storeDir, 'home');
  }

  get url(): string { return `nats://127.0.0.1:${this.port}`; }
  get securityDir(): string { return securityPaths(this.home).dir; }
  /** The credentials file of a principal of this server's cluster. */
  creds(principal: string): string { return credentialsPath(this.home, principal); }

  /**
   * A new principal: credentials written to creds/<name>.json and a record in principals.json (a master started
   * afterwards knows it; one already running learns principals through `agora principal add`). Returns the path.
   */
  async mint(kind: PrincipalKind, name: string, acl: Partial<Pick<PrincipalRecord, 'roles' | 'taskUsers'>> & PermissionGrants = {}): Promise<string> {
    const user = await loadIssuer(this.home).mintUser(name, kind, acl);
    const paths = securityPaths(this.home);
    const store = loadPrincipalStore(paths.principals);
    upsertPrincipal(store, { name, kind, roles: acl.roles ?? [], taskUsers: acl.taskUsers ?? [], apis: acl.apis ?? [], servesApis: acl.servesApis ?? [], users: [{ publicKey: user.publicKey, issuedAt: user.issuedAt }], createdAt: Date.now() });
    savePrincipalStore(paths.principals, store);
    writeCredentials(this.creds(name), credentialsFor(name, kind, user.creds, [this.url], readFileSync(paths.caPem, 'utf8')));
    return this.creds(name);
  }

  /** Whether the server process is up (a fault test may have killed it). */
  get running(): boolean { return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null; }

  static async start(): Promise<NatsServer> {
    const s = new NatsServer(await freePort());
    await s.startProcess();
    return s;
  }

  async startProcess(): Promise<void> {
    await ensureClusterSecurity({ dataDir: this.home, natsServers: [this.url] });
    const conf = await writeNatsConfig(this.home, { host: '127.0.0.1', port: this.port, storeDir: join(this.storeDir, 'jetstream') });
    process.env.AGORA_HOME = this.home;
    const proc = spawn(natsServerBinary(), ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    let stderr = '';
    proc.stderr!.on('data', (d) => { stderr += d; });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`nats-server exited: ${stderr}`);
      if (/Server is ready/.test(stderr)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`nats-server did not become ready: ${stderr}`);
  }

  /** Stops the server process (storage kept). */
  async stopProcess(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    // A process killed by a signal has signalCode set and exitCode null: it is gone too, and its 'exit' event has
    // already fired — waiting for it again would hang (the teardown of a fault test that failed after SIGKILL).
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => { p.once('exit', () => resolve()); p.kill(signal); });
  }

  async restart(): Promise<void> { await this.stopProcess(); await this.startProcess(); }

  async stop(): Promise<void> {
    await this.stopProcess();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
