import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type * as PortRanges from './port-ranges';

const dir = mkdtempSync(join(tmpdir(), 'port-locks-'));
process.env.AGORA_TEST_PORT_LOCKS = dir;
const { leasePortRange, RANGE_SIZE } = require('./port-ranges') as typeof PortRanges;

describe('test port ranges', () => {
  it('never leases one range twice while it is held, and frees it on release', () => {
    const all = Array.from({ length: 20 }, () => leasePortRange());
    expect(new Set(all.map((r) => r.first)).size).toBe(20);
    for (const r of all) {
      expect(r.last - r.first + 1).toBe(RANGE_SIZE);
      expect(r.first).toBeGreaterThanOrEqual(12000);
      expect(r.last).toBeLessThan(32768); // below the kernel's ephemeral ports
    }
    expect(readdirSync(dir)).toHaveLength(20);
    for (const r of all) r.release();
    expect(readdirSync(dir)).toHaveLength(0);
  });

  it('takes over a range whose holder is gone, never one whose holder lives', () => {
    const dead = spawnSync('true').pid!; // a pid that has exited
    const total = (32000 - 12000) / RANGE_SIZE;
    for (let i = 0; i < total; i++)
      writeFileSync(join(dir, String(12000 + i * RANGE_SIZE)), String(i === 7 ? dead : process.ppid));
    const r = leasePortRange();
    expect(r.first).toBe(12000 + 7 * RANGE_SIZE);
    expect(() => leasePortRange()).toThrow(/every test port range/);
    r.release();
  });
});
