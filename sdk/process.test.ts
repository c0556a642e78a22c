/**
 * The daemons' policy for failures nothing caught (handleProcessFailures), in a real child process: an
 * unhandled rejection is logged and the process goes on; an uncaught exception is logged at fatal and the
 * process exits 1.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');

it('logs an unhandled rejection and goes on; logs an uncaught exception at fatal and exits 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agora-process-'));
  try {
    const script = join(dir, 'daemon.ts');
    writeFileSync(
      script,
      `
      import { createLogger } from ${JSON.stringify(join(root, 'sdk/log'))};
      import { handleProcessFailures } from ${JSON.stringify(join(root, 'sdk/process'))};
      const log = createLogger('daemon', { level: 'info', pretty: false });
      const failures = handleProcessFailures(log, 'restart me');
      Promise.reject(new Error('boom-rejection'));
      setTimeout(() => {
        log.info({ unhandledRejections: failures.unhandledRejections() }, 'still alive');
        setTimeout(() => { throw new Error('boom-uncaught'); }, 10);
      }, 50);
    `,
    );
    const r = spawnSync(process.execPath, [join(root, 'bin/run-ts'), script], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, JEST_WORKER_ID: '' },
    });
    const lines = r.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            level: number;
            msg: string;
            err?: { message: string };
            unhandledRejections?: number;
            recovery?: string;
          },
      );
    expect(lines.map((l) => [l.level, l.msg, l.err?.message ?? l.unhandledRejections])).toEqual([
      [50, 'unhandled promise rejection (a bug: a handler is missing); continuing', 'boom-rejection'],
      [30, 'still alive', 1],
      [60, 'uncaught exception; exiting so a restart recovers', 'boom-uncaught'],
    ]);
    expect(lines[2].recovery).toBe('restart me');
    expect(r.status).toBe(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
