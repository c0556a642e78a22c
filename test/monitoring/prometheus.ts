/**
 * Debian's `promtool` and `prometheus` for the monitoring tests (scripts/setup.sh --test installs them; a test
 * fails loudly when they are missing). `promtool()` runs one check; `Prometheus.start()` runs a real server on a
 * free port with a config written to a temp dir, and reads its HTTP API.
 *
 *   const p = await Prometheus.start(dir, configYaml, { 'agora-rules.yml': rulesYaml });
 *   await eventually(async () => (await p.alerts()).some((a) => a.labels.alertname === 'X'), 'X fires');
 *   await p.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../harness/cluster';
import { freePort } from '../harness/nats-server';

export const DEPLOY_DIR = join(__dirname, '..', '..', 'deploy', 'prometheus');

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `promtool args…` with `stdin` piped in (async: the jest worker may host a master). */
export function promtool(args: string[], stdin?: string, cwd = DEPLOY_DIR): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', (e) =>
      reject(new Error(`promtool could not start (apt-get install prometheus): ${e.message}`)),
    );
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

export interface AlertView {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  value: string;
}

export class Prometheus {
  private readonly output: string[] = [];
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (d: Buffer) => {
      this.output.push(d.toString());
      if (this.output.length > 50) this.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static async start(dir: string, config: string, files: Record<string, string> = {}): Promise<Prometheus> {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'prometheus.yml'), config);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const port = await freePort();
    const child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const p = new Prometheus(`http://127.0.0.1:${port}`, child);
    child.once('error', (e) => p.output.push(`spawn failed (apt-get install prometheus): ${e.message}`));
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${p.output.join('')}`);
        return (await fetch(`${p.url}/-/ready`).catch(() => undefined))?.ok;
      },
      `prometheus ready on ${p.url}`,
      30_000,
      200,
    );
    return p;
  }

  /** Active alerts (pending and firing) from /api/v1/alerts. */
  async alerts(): Promise<AlertView[]> {
    const body = (await (await fetch(`${this.url}/api/v1/alerts`)).json()) as {
      status: string;
      data: { alerts: AlertView[] };
    };
    if (body.status !== 'success') throw new Error(`/api/v1/alerts: ${JSON.stringify(body)}`);
    return body.data.alerts;
  }

  /** An instant query's vector result. */
  async query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const body = (await (await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {
      status: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`query ${expr}: ${JSON.stringify(body)}`);
    return body.data.result;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}
