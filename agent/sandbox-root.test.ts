import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../sdk';
import { chooseSandboxRoot, traversableByOthers } from './sandbox-root';

describe('sandbox root', () => {
  const log = createLogger('test', { level: 'silent' });
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'sbx-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('keeps sandboxes in the work dir when the task user can reach it', () => {
    chmodSync(base, 0o755);
    expect(chooseSandboxRoot(join(base, 'work'), 'a1', true, log, join(base, 'fallback'))).toBe(
      join(base, 'work', 'sandboxes'),
    );
  });

  it('moves them to the fallback, reachable, when a parent directory is private', () => {
    chmodSync(base, 0o700);
    expect(traversableByOthers(join(base, 'work'))).toBe(false);
    const fallbackBase = join(base, 'fallback');
    const root = chooseSandboxRoot(join(base, 'work'), 'a1', true, log, fallbackBase);
    expect(root).toBe(join(fallbackBase, 'a1', 'sandboxes'));
    expect(statSync(root).mode & 0o777).toBe(0o755);
  });

  it('does not care when tasks run as the agent user', () => {
    chmodSync(base, 0o700);
    expect(chooseSandboxRoot(join(base, 'work'), 'a1', false, log, join(base, 'fallback'))).toBe(
      join(base, 'work', 'sandboxes'),
    );
  });
});
