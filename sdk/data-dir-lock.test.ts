import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataDirInUseError,
  LOCK_FILE,
  holderIsLive,
  lockDataDir,
  parseLockHolder,
  processStartTicks,
  type LockHolder,
  type ProcessProbe,
} from './data-dir-lock';

const holder = (h: Partial<LockHolder> = {}): LockHolder => ({
  pid: 42,
  startTicks: 1000,
  owner: 'agora up',
  since: '2026-01-01T00:00:00Z',
  token: 't',
  ...h,
});

describe('holderIsLive (pure)', () => {
  const alive =
    (startTicks?: number): ProcessProbe =>
    () => ({ alive: true, startTicks });
  const gone: ProcessProbe = () => ({ alive: false });

  it('a live pid with the same start time holds the lock', () =>
    expect(holderIsLive(holder(), alive(1000))).toBe(true));
  it('a pid that is gone does not', () => expect(holderIsLive(holder(), gone)).toBe(false));
  it('a reused pid (later start time) does not', () => expect(holderIsLive(holder(), alive(2000))).toBe(false));
  it('an unknown start time on either side falls back to the pid', () => {
    expect(holderIsLive(holder({ startTicks: undefined }), alive(2000))).toBe(true);
    expect(holderIsLive(holder(), alive(undefined))).toBe(true);
  });
  it('unreadable content holds nothing', () => expect(holderIsLive(undefined, alive(1000))).toBe(false));
});

describe('parseLockHolder', () => {
  it('reads what lockDataDir writes, and refuses garbage', () => {
    expect(parseLockHolder(JSON.stringify(holder()))).toEqual(holder());
    expect(parseLockHolder('')).toBeUndefined();
    expect(parseLockHolder('{"pid":"x","owner":"a","token":"t"}')).toBeUndefined();
    expect(parseLockHolder(undefined)).toBeUndefined();
  });
});

describe('lockDataDir (files)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agora-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second holder while the first lives, naming its pid; frees on release', () => {
    const first = lockDataDir(dir, 'agora up');
    expect(first.holder.pid).toBe(process.pid);
    expect(() => lockDataDir(dir, 'agora up')).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir, 'agora up')).toThrow(new RegExp(`in use by agora up \\(pid ${process.pid}, since `));
    first.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lockDataDir(dir, 'agora up').release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over the lock of a process that is gone', () => {
    const dead = spawnSync('true').pid!;
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(holder({ pid: dead, startTicks: undefined })));
    const lock = lockDataDir(dir, 'agora master');
    expect(parseLockHolder(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({
      pid: process.pid,
      owner: 'agora master',
    });
    lock.release();
  });

  it('takes over a lock whose pid now belongs to a later process, and a garbled lock', () => {
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify(holder({ pid: process.pid, startTicks: processStartTicks(process.pid)! - 1 })),
    );
    lockDataDir(dir, 'agora up').release();
    writeFileSync(join(dir, LOCK_FILE), '{"pi');
    lockDataDir(dir, 'agora up').release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('release leaves a lock that another process took meanwhile', () => {
    const lock = lockDataDir(dir, 'agora up');
    const other = JSON.stringify(holder({ pid: process.pid, startTicks: undefined, token: 'other' }));
    writeFileSync(join(dir, LOCK_FILE), other);
    lock.release();
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(other);
  });
});
