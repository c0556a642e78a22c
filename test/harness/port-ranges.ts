/**
 * Port ranges for test agents, leased across processes. Every test agent offers a range of host ports to its
 * tasks; two jest workers (or two suites on one machine, as `scripts/ci-soak.sh --busy` runs them) must never
 * hand the same port to two tasks. A lease is a lock file `<dir>/<first port>` created exclusively and holding
 * the leasing pid; a lock whose pid is gone (a worker killed mid-test) is taken over.
 *
 * Ranges sit in 12000–31999: below Linux's ephemeral range (32768–60999), so a port the kernel hands to an
 * outgoing connection or to `freePort()` can never be inside an agent's range.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const LOCK_DIR = process.env.AGORA_TEST_PORT_LOCKS ?? '/tmp/agora-test-port-ranges';
const FIRST = 12000;
const END = 32000;
export const RANGE_SIZE = 200;

export interface PortRange {
  first: number;
  last: number;
  /** `ports:[first-last]`, as agent resource text. */
  text: string;
  release(): void;
}

const held = new Set<string>();
process.once('exit', () => {
  for (const f of held) rmSync(f, { force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryLock(file: string): boolean {
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let owner = NaN;
  try {
    owner = Number(readFileSync(file, 'utf8'));
  } catch {
    return false;
  } // released meanwhile: next range
  if (Number.isInteger(owner) && owner > 0 && alive(owner)) return false;
  rmSync(file, { force: true }); // its leaser is gone; a racing taker loses the `wx` below
  return tryLock(file);
}

/** Leases a free range of RANGE_SIZE ports; throws when every range is held (more agents than ranges). */
export function leasePortRange(): PortRange {
  mkdirSync(LOCK_DIR, { recursive: true, mode: 0o1777 });
  const start = FIRST + RANGE_SIZE * Math.floor(Math.random() * ((END - FIRST) / RANGE_SIZE));
  for (let i = 0; i < (END - FIRST) / RANGE_SIZE; i++) {
    const first = FIRST + ((start - FIRST + i * RANGE_SIZE) % (END - FIRST));
    const file = join(LOCK_DIR, String(first));
    if (!tryLock(file)) continue;
    held.add(file);
    const last = first + RANGE_SIZE - 1;
    return {
      first,
      last,
      text: `ports:[${first}-${last}]`,
      release: () => {
        if (held.delete(file)) rmSync(file, { force: true });
      },
    };
  }
  throw new Error(`every test port range in ${FIRST}-${END - 1} is leased (lock files in ${LOCK_DIR})`);
}
