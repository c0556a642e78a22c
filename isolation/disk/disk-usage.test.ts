import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeTempSandboxes, tempSandbox } from '../testing/fixtures';
import { diskVerdict, measureDiskBytes } from './disk-usage';
afterAll(removeTempSandboxes);

describe('diskVerdict', () => {
  it('is over only past the limit, and says by how much', () => {
    expect(diskVerdict(10 * 1024 * 1024, 10)).toEqual({ over: false });
    expect(diskVerdict(10 * 1024 * 1024 + 1, 10)).toEqual({
      over: true,
      message: 'disk limit: sandbox uses 10.0 MB, limit 10 MB',
    });
    expect(diskVerdict(12.34 * 1024 * 1024, 10)).toMatchObject({ message: /uses 12\.3 MB/ });
  });

  it('never fires without a limit', () => {
    expect(diskVerdict(1e12, undefined)).toEqual({ over: false });
    expect(diskVerdict(1e12, 0)).toEqual({ over: false });
  });
});

it('measureDiskBytes counts allocated blocks, hard links once, and not what a symlink points at', async () => {
  const dir = tempSandbox();
  const empty = await measureDiskBytes(dir);
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub', 'big'), Buffer.alloc(1024 * 1024, 1));
  fs.linkSync(path.join(dir, 'sub', 'big'), path.join(dir, 'hard'));
  fs.symlinkSync('/usr/bin', path.join(dir, 'link'));
  const used = await measureDiskBytes(dir);
  expect(used - empty).toBeGreaterThanOrEqual(1024 * 1024);
  expect(used - empty).toBeLessThan(1.2 * 1024 * 1024);
});
