/**
 * Each task run as the default user gets its own uid, so tasks cannot read or overwrite each other's files:
 * the agent takes uids in turn from `--task-uid-range` (default 200000-265535; `off`: every task shares
 * --task-user, the old behaviour), skipping those of tasks it still runs, and remembers where it stopped in
 * its checkpoint. Round-robin rather than lowest-free: a uid comes back only after the whole range went
 * round, by when the sandbox of its previous task (0700, owned by that uid) is long garbage-collected.
 * The uid has no /etc/passwd entry; its group is the same number. Per task rather than per framework: two
 * tasks of one framework are not meant to share files either (a shared volume is the way to share).
 */
export interface UidRange {
  first: number;
  last: number;
}

export const DEFAULT_TASK_UID_RANGE = '200000-265535';

export function parseUidRange(text: string | undefined): UidRange | undefined {
  const t = (text ?? DEFAULT_TASK_UID_RANGE).trim();
  if (t === 'off' || t === '') return undefined;
  const m = /^(\d+)-(\d+)$/.exec(t);
  const first = m ? Number(m[1]) : NaN;
  const last = m ? Number(m[2]) : NaN;
  if (!m || first < 1000 || last < first || last > 4_294_967_294) {
    throw new Error(
      `task uid range '${t}': expected first-last with 1000 ≤ first ≤ last (e.g. ${DEFAULT_TASK_UID_RANGE}), or off`,
    );
  }
  return { first, last };
}

/** Pure: the next free uid at or after `next` (wrapping), and where to start the time after. */
export function allocateUid(
  range: UidRange,
  next: number | undefined,
  inUse: ReadonlySet<number>,
): { uid: number; next: number } {
  const size = range.last - range.first + 1;
  const start = next !== undefined && next >= range.first && next <= range.last ? next : range.first;
  for (let i = 0; i < size; i++) {
    const uid = range.first + ((start - range.first + i) % size);
    if (!inUse.has(uid)) return { uid, next: uid === range.last ? range.first : uid + 1 };
  }
  throw new Error(`every uid of the task uid range ${range.first}-${range.last} is in use by a running task`);
}
