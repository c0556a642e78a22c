/**
 * Resource arithmetic: scalars (cpus, mem, disk, gpus), ranges (ports) and sets, each optionally reserved
 * for a role. Exact: scalars are held as integer thousandths (fixed point, as Mesos does), so a million
 * add/subtract cycles leave no float drift.
 *
 * Text form (parses back exactly):  `cpus:4;mem:8192;ports:[31000-32000];cpus(eng):2;zones:{a,b}`
 *
 * Example:
 *   const total = Resources.parse('cpus:4;mem:8192;ports:[31000-32000]');
 *   const want = Resources.parse('cpus:1;mem:512');
 *   total.contains(want)            // true
 *   total.subtract(want).format()   // 'cpus:3;mem:7680;ports:[31000-32000]'
 */
import type { ResourceWire } from './protocol/common';

export const UNRESERVED = '*';
const MILLI = 1000;

export type Range = readonly [number, number];

/** One named resource for one role: exactly one of scalar (thousandths), ranges or set. */
interface Entry {
  readonly name: string;
  readonly role: string;
  readonly milli?: number;
  readonly ranges?: readonly Range[];
  readonly set?: readonly string[];
}

export class ResourceError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ResourceError';
  }
}

const key = (name: string, role: string) => (role === UNRESERVED ? name : `${name}(${role})`);
const NAME_RE = /^[a-z][a-z0-9_.-]*$/i;
const ROLE_RE = /^(\*|[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*)$/;

export function isValidRole(role: string): boolean {
  return ROLE_RE.test(role) && role.length <= 128;
}

/** Immutable multiset of resources. All operations return new values. */
export interface ScalarEntry {
  readonly name: string;
  readonly role: string;
  readonly milli: number;
}

export class Resources {
  private scalarCache: readonly ScalarEntry[] | undefined = undefined;
  private constructor(private readonly entries: ReadonlyMap<string, Entry>) {}

  static readonly EMPTY = new Resources(new Map());

  static scalar(name: string, value: number, role = UNRESERVED): Resources {
    return Resources.EMPTY.add(new Resources(new Map([[key(name, role), { name, role, milli: toMilli(value) }]])));
  }

  static ranges(name: string, ranges: readonly Range[], role = UNRESERVED): Resources {
    return new Resources(new Map([[key(name, role), { name, role, ranges: normalizeRanges(ranges) }]])).compact();
  }

  static set(name: string, items: readonly string[], role = UNRESERVED): Resources {
    return new Resources(new Map([[key(name, role), { name, role, set: [...new Set(items)].sort() }]])).compact();
  }

  /** Parses the text form. Throws ResourceError naming the bad part. */
  static parse(text: string): Resources {
    let out = Resources.EMPTY;
    const trimmed = text.trim();
    if (trimmed === '') return out;
    for (const raw of trimmed.split(';')) {
      const part = raw.trim();
      if (part === '') continue;
      const m = /^([^:()]+)(?:\(([^)]*)\))?:(.+)$/.exec(part);
      if (!m)
        throw new ResourceError(`resource '${part}': expected name[(role)]:value, e.g. cpus:4 or ports:[31000-32000]`);
      const name = m[1].trim();
      const role = (m[2] ?? UNRESERVED).trim();
      const value = m[3].trim();
      if (!NAME_RE.test(name)) throw new ResourceError(`resource '${part}': bad name '${name}'`);
      if (!isValidRole(role)) throw new ResourceError(`resource '${part}': bad role '${role}'`);
      out = out.add(parseValue(name, role, value, part));
    }
    return out;
  }

  static fromWire(list: readonly ResourceWire[] | undefined): Resources {
    let out = Resources.EMPTY;
    for (const r of list ?? []) {
      const role = r.role ?? UNRESERVED;
      if (r.scalar !== undefined) out = out.add(Resources.scalar(r.name, r.scalar, role));
      else if (r.ranges)
        out = out.add(
          Resources.ranges(
            r.name,
            r.ranges.map((x) => [x[0], x[1]] as Range),
            role,
          ),
        );
      else if (r.set) out = out.add(Resources.set(r.name, r.set, role));
    }
    return out;
  }

  toWire(): ResourceWire[] {
    return this.sorted().map((e) => {
      const base: ResourceWire = { name: e.name };
      if (e.role !== UNRESERVED) base.role = e.role;
      if (e.milli !== undefined) base.scalar = e.milli / MILLI;
      else if (e.ranges) base.ranges = e.ranges.map((r) => [r[0], r[1]]);
      else if (e.set) base.set = [...e.set];
      return base;
    });
  }

  format(): string {
    return this.sorted()
      .map((e) => {
        const k = key(e.name, e.role);
        if (e.milli !== undefined) return `${k}:${e.milli / MILLI}`;
        if (e.ranges) return `${k}:[${e.ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',')}]`;
        return `${k}:{${(e.set ?? []).join(',')}}`;
      })
      .join(';');
  }

  toString(): string {
    return this.format();
  }
  toJSON(): string {
    return this.format();
  }

  isEmpty(): boolean {
    return this.entries.size === 0;
  }

  add(other: Resources): Resources {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    const out = new Map(this.entries);
    for (const [k, b] of other.entries) {
      const a = out.get(k);
      out.set(k, a ? combine(a, b, +1) : b);
    }
    return new Resources(out).compact();
  }

  /** this − other. Throws ResourceError if other is not contained (nothing may go negative). */
  subtract(other: Resources): Resources {
    if (other.isEmpty()) return this;
    const missing = this.missing(other);
    if (missing) throw new ResourceError(missing);
    const out = new Map(this.entries);
    for (const [k, b] of other.entries) out.set(k, combine(out.get(k)!, b, -1));
    return new Resources(out).compact();
  }

  contains(other: Resources): boolean {
    return this.missing(other) === undefined;
  }

  /** Why `other` does not fit in this, naming the first resource short (`mem 512 > 256`), or undefined if it fits. */
  missing(other: Resources): string | undefined {
    for (const [k, b] of other.entries) {
      const a = this.entries.get(k);
      if (b.milli !== undefined) {
        const have = a?.milli ?? 0;
        if (b.milli > have) return `${k} ${b.milli / MILLI} > ${have / MILLI}`;
      } else if (b.ranges) {
        const have = a?.ranges ?? [];
        for (const r of b.ranges)
          if (!rangeCovered(have, r))
            return `${k} [${r[0]}-${r[1]}] not in [${have.map((x) => `${x[0]}-${x[1]}`).join(',')}]`;
      } else if (b.set) {
        const have = new Set(a?.set ?? []);
        for (const s of b.set) if (!have.has(s)) return `${k} {${s}} not available`;
      }
    }
    return undefined;
  }

  equals(other: Resources): boolean {
    return this.format() === other.format();
  }

  /** Scalar amount of `name` across all roles (or one role). */
  scalar(name: string, role?: string): number {
    let milli = 0;
    for (const e of this.entries.values())
      if (e.name === name && e.milli !== undefined && (role === undefined || e.role === role)) milli += e.milli;
    return milli / MILLI;
  }

  rangesOf(name: string, role?: string): Range[] {
    const all: Range[] = [];
    for (const e of this.entries.values())
      if (e.name === name && e.ranges && (role === undefined || e.role === role)) all.push(...e.ranges);
    return normalizeRanges(all);
  }

  names(): string[] {
    return [...new Set([...this.entries.values()].map((e) => e.name))].sort();
  }
  roles(): string[] {
    return [...new Set([...this.entries.values()].map((e) => e.role))].sort();
  }

  filter(pred: (name: string, role: string) => boolean): Resources {
    const out = new Map<string, Entry>();
    for (const [k, e] of this.entries) if (pred(e.name, e.role)) out.set(k, e);
    return out.size === this.entries.size ? this : new Resources(out);
  }

  unreserved(): Resources {
    return this.filter((_, r) => r === UNRESERVED);
  }
  reserved(role?: string): Resources {
    return this.filter((_, r) => r !== UNRESERVED && (role === undefined || r === role));
  }

  /** Resources a framework subscribed with `role` may be offered: unreserved, or reserved to role or an ancestor of it. */
  allocatableTo(role: string): Resources {
    return this.filter((_, r) => r === UNRESERVED || r === role || role.startsWith(`${r}/`));
  }

  /** The same amounts with every reservation moved to `role` (`*` unreserves). */
  withRole(role: string): Resources {
    let out = Resources.EMPTY;
    for (const e of this.entries.values()) out = out.add(new Resources(new Map([[key(e.name, role), { ...e, role }]])));
    return out;
  }

  /** Scalars only, summed across roles by name (for shares and quotas). */
  scalars(): Map<string, number> {
    const out = new Map<string, number>();
    for (const e of this.entries.values())
      if (e.milli !== undefined) out.set(e.name, (out.get(e.name) ?? 0) + e.milli / MILLI);
    return out;
  }

  /** Calls `fn` for each scalar with its amount in thousandths. */
  forEachScalarMilli(fn: (name: string, role: string, milli: number) => void): void {
    const list = this.scalarList();
    for (let i = 0; i < list.length; i++) fn(list[i].name, list[i].role, list[i].milli);
  }

  /** Scalar amount of `name` in thousandths (exact), across all roles or one. */
  scalarMilli(name: string, role?: string): number {
    const list = this.scalarList();
    let milli = 0;
    for (let i = 0; i < list.length; i++)
      if (list[i].name === name && (role === undefined || list[i].role === role)) milli += list[i].milli;
    return milli;
  }

  /** The scalar entries (amounts in thousandths) as one flat array of one shape, computed once — the allocator's hot path. */
  scalarList(): readonly ScalarEntry[] {
    if (this.scalarCache === undefined) {
      const list: ScalarEntry[] = [];
      for (const e of this.entries.values())
        if (e.milli !== undefined) list.push({ name: e.name, role: e.role, milli: e.milli });
      this.scalarCache = list;
    }
    return this.scalarCache;
  }

  /** True when any resource here is reserved to a role. */
  hasReservations(): boolean {
    for (const e of this.entries.values()) if (e.role !== UNRESERVED) return true;
    return false;
  }

  private sorted(): Entry[] {
    return [...this.entries.values()].sort((a, b) =>
      a.name === b.name ? a.role.localeCompare(b.role) : a.name.localeCompare(b.name),
    );
  }

  private compact(): Resources {
    let empty = false;
    for (const e of this.entries.values())
      if (isZero(e)) {
        empty = true;
        break;
      }
    if (!empty) return this;
    const out = new Map<string, Entry>();
    for (const [k, e] of this.entries) if (!isZero(e)) out.set(k, e);
    return new Resources(out);
  }
}

function isZero(e: Entry): boolean {
  return e.milli !== undefined ? e.milli === 0 : e.ranges ? e.ranges.length === 0 : (e.set ?? []).length === 0;
}

export function toMilli(value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new ResourceError(`scalar ${value} must be a finite number ≥ 0`);
  return Math.round(value * MILLI);
}

function combine(a: Entry, b: Entry, sign: 1 | -1): Entry {
  if (a.milli !== undefined && b.milli !== undefined) return { ...a, milli: a.milli + sign * b.milli };
  if (a.ranges && b.ranges)
    return {
      ...a,
      ranges: sign > 0 ? normalizeRanges([...a.ranges, ...b.ranges]) : subtractRanges(a.ranges, b.ranges),
    };
  if (a.set && b.set) {
    if (sign > 0) return { ...a, set: [...new Set([...a.set, ...b.set])].sort() };
    const drop = new Set(b.set);
    return { ...a, set: a.set.filter((s) => !drop.has(s)) };
  }
  throw new ResourceError(`resource '${key(a.name, a.role)}' mixes types (scalar, ranges, set)`);
}

/** Sorted, merged (adjacent and overlapping joined) ranges. */
export function normalizeRanges(ranges: readonly Range[]): Range[] {
  for (const [a, b] of ranges) {
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < a)
      throw new ResourceError(`range [${a}-${b}] is not a valid integer range`);
  }
  const s = [...ranges].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of s) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function rangeCovered(have: readonly Range[], r: Range): boolean {
  return have.some(([a, b]) => a <= r[0] && r[1] <= b);
}

function subtractRanges(have: readonly Range[], take: readonly Range[]): Range[] {
  let cur: Range[] = [...have];
  for (const [ta, tb] of take) {
    const next: Range[] = [];
    for (const [a, b] of cur) {
      if (tb < a || ta > b) {
        next.push([a, b]);
        continue;
      }
      if (a < ta) next.push([a, ta - 1]);
      if (tb < b) next.push([tb + 1, b]);
    }
    cur = next;
  }
  return cur;
}

function parseValue(name: string, role: string, value: string, part: string): Resources {
  if (value.startsWith('[')) {
    if (!value.endsWith(']')) throw new ResourceError(`resource '${part}': ranges must look like [31000-32000,33000]`);
    const body = value.slice(1, -1).trim();
    const ranges: Range[] =
      body === ''
        ? []
        : body.split(',').map((s) => {
            const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(s);
            if (!m) throw new ResourceError(`resource '${part}': bad range '${s.trim()}'`);
            return [Number(m[1]), Number(m[2] ?? m[1])] as Range;
          });
    return Resources.ranges(name, ranges, role);
  }
  if (value.startsWith('{')) {
    if (!value.endsWith('}')) throw new ResourceError(`resource '${part}': sets must look like {a,b}`);
    const items = value
      .slice(1, -1)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return Resources.set(name, items, role);
  }
  if (!/^\d+(\.\d+)?$/.test(value)) throw new ResourceError(`resource '${part}': '${value}' is not a number ≥ 0`);
  return Resources.scalar(name, Number(value), role);
}
