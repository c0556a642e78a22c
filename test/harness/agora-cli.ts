/**
 * Runs the `agora` CLI as a user does (a subprocess of bin/agora, from source) against a test cluster.
 *
 *   const r = await runAgora(cluster, ['job', 'run', 'nightly', '--wait']);
 *   expect(r).toMatchObject({ code: 0, stdout: 'done\n' });
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const AGORA = join(__dirname, '..', '..', 'bin', 'agora');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Sends the cluster's token (AGORA_TOKEN) unless `env` says otherwise. */
export function runAgora(
  cluster: { natsUrl: string; masterHttpUrl: string; token?: string },
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [AGORA, ...args], {
      env: {
        ...process.env,
        AGORA_FROM_SOURCE: '1',
        AGORA_NATS: cluster.natsUrl,
        AGORA_MASTER: cluster.masterHttpUrl,
        ...(cluster.token ? { AGORA_TOKEN: cluster.token } : {}),
        NO_COLOR: '1',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
