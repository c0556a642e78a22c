/**
 * The zone `agora.` as data: built from what the service framework says is ready and the IPv4 addresses of the
 * agents' hosts. Pure — the feed (feed.ts) gathers the inputs, the answerer (answer.ts) reads the result.
 *
 *   /shop/cart, ready on node-7 (10.0.0.7) ports [31002, 31003]:
 *     cart.shop.agora.               A    10.0.0.7
 *     _port0._tcp.cart.shop.agora.   SRV  0 1 31002 node-7.agents.agora.
 *     _port1._tcp.cart.shop.agora.   SRV  0 1 31003 node-7.agents.agora.
 *     node-7.agents.agora.           A    10.0.0.7
 *
 * Names are kept lower-case, without the final dot. Every name that exists has an entry, including the empty
 * ones in between (`shop.agora`, `_tcp.cart.shop.agora`): those answer NODATA, not NXDOMAIN (RFC 8020).
 */
import { appDnsName, appIdDnsProblems, DNS_AGENTS_LABEL, DNS_ZONE } from 'agora/sdk/service';

export interface SrvTarget {
  port: number;
  target: string;
}
export interface NameRecords {
  a: string[];
  srv: SrvTarget[];
}

export interface Zone {
  /** `agora` */
  origin: string;
  /** Grows with every change (the SOA serial). */
  serial: number;
  names: ReadonlyMap<string, NameRecords>;
}

/** What `endpoints` on the service API answers, per app. */
export interface AppEndpoints {
  appId: string;
  portCount: number;
  endpoints: ReadonlyArray<{ host: string; ports: readonly number[] }>;
}

export interface ZoneInput {
  apps: readonly AppEndpoints[];
  /** IPv4 addresses per agent hostname; a host missing here (not resolvable) is left out of every answer. */
  addresses: ReadonlyMap<string, readonly string[]>;
  serial: number;
}

/** `node-7.example.com` → `node-7-example-com`: one LDH label (≤ 63) naming an agent's host. */
export function hostLabel(hostname: string): string {
  const label = hostname
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label === '' ? 'host' : label;
}

export const hostDnsName = (hostname: string): string => `${hostLabel(hostname)}.${DNS_AGENTS_LABEL}.${DNS_ZONE}`;

const emptyRecords = (): NameRecords => ({ a: [], srv: [] });

export function buildZone(input: ZoneInput): Zone {
  const names = new Map<string, NameRecords>();
  const at = (name: string): NameRecords => {
    let r = names.get(name);
    if (!r) {
      r = emptyRecords();
      names.set(name, r);
    }
    return r;
  };
  const addA = (name: string, ips: readonly string[]) => {
    const r = at(name);
    for (const ip of ips) if (!r.a.includes(ip)) r.a.push(ip);
  };
  at(DNS_ZONE);
  for (const app of input.apps) {
    if (appIdDnsProblems(app.appId).length > 0) continue; // an app older than the DNS rules: no name
    const name = appDnsName(app.appId);
    at(name);
    const portCount = Math.max(app.portCount, ...app.endpoints.map((e) => e.ports.length));
    for (let k = 0; k < portCount; k++) at(`_port${k}._tcp.${name}`);
    for (const e of app.endpoints) {
      const ips = input.addresses.get(e.host) ?? [];
      if (ips.length === 0) continue;
      addA(name, ips);
      const target = hostDnsName(e.host);
      addA(target, ips);
      e.ports.forEach((port, k) => at(`_port${k}._tcp.${name}`).srv.push({ port, target }));
    }
  }
  addEmptyNonTerminals(names);
  for (const r of names.values()) {
    r.a.sort(compareIps);
    r.srv.sort((x, y) => x.target.localeCompare(y.target) || x.port - y.port);
  }
  return { origin: DNS_ZONE, serial: input.serial, names };
}

/** Every ancestor of a name, up to the zone's apex, exists too. */
function addEmptyNonTerminals(names: Map<string, NameRecords>): void {
  for (const name of [...names.keys()]) {
    const labels = name.split('.');
    for (let i = 1; i < labels.length - 1; i++) {
      const parent = labels.slice(i).join('.');
      if (!names.has(parent)) names.set(parent, emptyRecords());
    }
  }
}

function compareIps(x: string, y: string): number {
  const a = x.split('.').map(Number),
    b = y.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Whether a (lower-case, dot-less) name lies in the zone: the apex or below it. */
export const inZone = (zone: Zone, name: string): boolean => name === zone.origin || name.endsWith(`.${zone.origin}`);
