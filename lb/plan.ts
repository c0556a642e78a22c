/**
 * The balancer's pure core: from the HAProxy layout that runs now and the sites wanted, what to do — reload
 * (only when the set of frontends or a backend's slot count changes) and which runtime API commands to send.
 *
 * Every backend has a fixed number of server slots (`server-template s 1-N`), all in maintenance at first. An
 * instance takes a free slot (`set server be/sK addr A port P`, then `state ready` or `state drain`) and keeps
 * it while it is listed; a slot whose instance is no longer listed goes back to `maint` (its established
 * connections finish) and is reused only in a later round. A backend that needs more slots grows by a reload.
 */
export type ServerState = 'ready' | 'drain';

/** One instance as the load balancer routes to it. */
export interface BackendServer {
  readonly instanceId: string;
  readonly address: string;
  readonly port: number;
  readonly state: ServerState;
}

/** One load-balanced app as wanted: a frontend port and the instances behind it. */
export interface Site {
  readonly appId: string;
  readonly port: number;
  readonly mode: 'http' | 'tcp';
  readonly servers: readonly BackendServer[];
}

export interface Frontend {
  readonly appId: string;
  readonly backend: string;
  readonly port: number;
  readonly mode: 'http' | 'tcp';
  readonly slots: number;
}

/** What HAProxy runs: its frontends (by port) and, per backend, which instance holds each slot. */
export interface Layout {
  readonly frontends: readonly Frontend[];
  readonly slots: ReadonlyMap<string, ReadonlyArray<BackendServer | null>>;
}
export const EMPTY_LAYOUT: Layout = { frontends: [], slots: new Map() };

export interface Plan {
  /** The frontends changed: write the configuration and reload HAProxy (seamlessly) before the commands. */
  readonly reload: boolean;
  readonly layout: Layout;
  /** Runtime API commands, in order (maintenance first, then new addresses and states). */
  readonly commands: string[];
  /** Sites left out, and why (a port listed twice). */
  readonly skipped: { appId: string; port: number; why: string }[];
}

export const MIN_SLOTS = 8;
/** Slots for `n` servers: room to double (a rolling upgrade runs old and new side by side) in steps of 8. */
export const slotsFor = (n: number): number => Math.max(MIN_SLOTS, Math.ceil((n * 2) / MIN_SLOTS) * MIN_SLOTS);

/** `/shop/cart` → `be_shop_cart`; other characters HAProxy names dislike become `_` (hyphens are fine). */
export const backendName = (appId: string): string => `be_${appId.slice(1).replace(/[^A-Za-z0-9-]/g, '_')}`;

const frontendKey = (f: Frontend): string => `${f.port} ${f.mode} ${f.backend} ${f.slots}`;
const sameFrontends = (a: readonly Frontend[], b: readonly Frontend[]): boolean =>
  a.length === b.length && a.every((f, i) => frontendKey(f) === frontendKey(b[i]));

export function plan(current: Layout, sites: readonly Site[]): Plan {
  const skipped: Plan['skipped'] = [];
  const byPort = new Map<number, Site>();
  for (const s of [...sites].sort((a, b) => a.appId.localeCompare(b.appId))) {
    const holder = byPort.get(s.port);
    if (holder) {
      skipped.push({ appId: s.appId, port: s.port, why: `port ${s.port} is already balanced for ${holder.appId}` });
      continue;
    }
    byPort.set(s.port, s);
  }
  const wanted = [...byPort.values()].sort((a, b) => a.port - b.port);
  const frontends = wanted.map((s) => frontendFor(current, s));
  const commands: string[] = [];
  const later: string[] = [];
  const slots = new Map<string, ReadonlyArray<BackendServer | null>>();
  for (const s of wanted) {
    const f = frontends.find((x) => x.port === s.port)!;
    const r = assignSlots(f, current.slots.get(f.backend) ?? [], s.servers);
    slots.set(f.backend, r.slots);
    commands.push(...r.maint);
    later.push(...r.set);
  }
  return {
    reload: !sameFrontends(current.frontends, frontends),
    layout: { frontends, slots },
    commands: [...commands, ...later],
    skipped,
  };
}

/** The frontend a site needs: the running one's slot count while it is enough, else a larger one. */
function frontendFor(current: Layout, s: Site): Frontend {
  const backend = backendName(s.appId);
  const now = current.frontends.find((f) => f.port === s.port && f.backend === backend && f.mode === s.mode);
  const slots =
    now && now.slots >= s.servers.length ? now.slots : Math.max(now?.slots ?? 0, slotsFor(s.servers.length));
  return { appId: s.appId, backend, port: s.port, mode: s.mode, slots };
}

function assignSlots(
  f: Frontend,
  before: ReadonlyArray<BackendServer | null>,
  servers: readonly BackendServer[],
): { slots: (BackendServer | null)[]; maint: string[]; set: string[] } {
  const wanted = new Map(servers.map((s) => [s.instanceId, s]));
  const slots: (BackendServer | null)[] = Array.from({ length: f.slots }, (_, i) => before[i] ?? null);
  const freedNow = new Set<number>();
  const maint: string[] = [];
  const set: string[] = [];
  const name = (i: number) => `${f.backend}/s${i + 1}`;
  slots.forEach((held, i) => {
    if (!held) return;
    const want = wanted.get(held.instanceId);
    if (!want) {
      slots[i] = null;
      freedNow.add(i);
      maint.push(`set server ${name(i)} state maint`);
      return;
    }
    if (want.address !== held.address || want.port !== held.port)
      set.push(`set server ${name(i)} addr ${want.address} port ${want.port}`);
    if (want.state !== held.state) set.push(`set server ${name(i)} state ${want.state}`);
    slots[i] = want;
    wanted.delete(held.instanceId);
  });
  for (const s of wanted.values()) {
    const i = slots.findIndex((x, k) => x === null && !freedNow.has(k));
    const at = i >= 0 ? i : slots.findIndex((x) => x === null); // only when every other slot is taken
    slots[at] = s;
    set.push(`set server ${name(at)} addr ${s.address} port ${s.port}`, `set server ${name(at)} state ${s.state}`);
  }
  return { slots, maint, set };
}
