/**
 * Follows the service framework and keeps the zone current. The framework publishes a nudge on
 * `agora.v1.service.endpoints` after every tick that changed an app's ready endpoints; on each nudge (and every
 * `resyncMs` besides, and on every NATS reconnect, since a core NATS message can be missed) the feed asks
 * `endpoints` on the service API, resolves the agents' hostnames to IPv4, and builds a new zone.
 *
 *   nudge / timer / reconnect ─► refresh() ─► request endpoints ─► resolve hosts ─► buildZone ─► onZone(zone)
 *
 * Refreshes never overlap: nudges arriving during one are folded into a single follow-up. When the service
 * framework does not answer, the last zone keeps being served.
 */
import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { decode, RateLimitedLog, request, type Logger, type NatsConnection } from 'agora/sdk';
import {
  EndpointsChangedSchema,
  SERVICE_API_SUBJECT,
  SERVICE_ENDPOINTS_SUBJECT,
  type ServiceReplies,
} from 'agora/sdk/service';
import { buildZone, type AppEndpoints, type Zone } from './zone';

export type LookupIPv4 = (hostname: string) => Promise<string[]>;

const systemLookup: LookupIPv4 = async (hostname) =>
  (await lookup(hostname, { family: 4, all: true })).map((a) => a.address);

/**
 * Agents register with a hostname (`os.hostname()` or `--hostname`), not an address: an IPv4 literal is used as
 * it is, anything else is looked up (getaddrinfo: /etc/hosts, then DNS) and cached for `ttlMs`.
 */
export class HostResolver {
  private cache = new Map<string, { ips: string[]; at: number }>();
  private failing = new Set<string>();
  constructor(
    private readonly log: Logger,
    private readonly lookupIPv4: LookupIPv4 = systemLookup,
    private readonly ttlMs = 30_000,
    private readonly now = Date.now,
  ) {}

  async resolve(hosts: Iterable<string>): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    await Promise.all(
      [...new Set(hosts)].map(async (h) => {
        out.set(h, await this.one(h));
      }),
    );
    return out;
  }

  private async one(host: string): Promise<string[]> {
    if (isIPv4(host)) return [host];
    const hit = this.cache.get(host);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.ips;
    let ips: string[] = [];
    try {
      ips = [...new Set(await this.lookupIPv4(host))];
    } catch (e) {
      if (!this.failing.has(host))
        this.log.warn(
          { host, err: (e as Error).message },
          'agent host has no IPv4 address; its instances are left out of DNS',
        );
    }
    if (ips.length > 0 && this.failing.delete(host)) this.log.info({ host, ips }, 'agent host resolves again');
    if (ips.length === 0) this.failing.add(host);
    this.cache.set(host, { ips, at: this.now() });
    return ips;
  }
}

export interface FeedOptions {
  nc: NatsConnection;
  log: Logger;
  onZone: (zone: Zone) => void;
  /** Full refresh this often even without a nudge (default 5 s). */
  resyncMs?: number;
  resolver?: HostResolver;
  requestTimeoutMs?: number;
}

export class ServiceFeed {
  private sub?: ReturnType<NatsConnection['subscribe']>;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private lastKey = '';
  private serial = Math.floor(Date.now() / 1000);
  private readonly warn: RateLimitedLog;
  private readonly resolver: HostResolver;

  constructor(private readonly opts: FeedOptions) {
    this.warn = new RateLimitedLog(opts.log, 1, 30_000);
    this.resolver = opts.resolver ?? new HostResolver(opts.log);
  }

  /** Subscribes, builds the first zone (empty if the service framework is not there yet) and starts the timer. */
  async start(): Promise<void> {
    this.sub = this.opts.nc.subscribe(SERVICE_ENDPOINTS_SUBJECT, {
      callback: (err, msg) => {
        if (err) {
          this.opts.log.error({ err: err.message }, 'endpoints subscription failed');
          return;
        }
        const parsed = EndpointsChangedSchema.safeParse(safeDecode(msg.data));
        if (!parsed.success) {
          this.warn.warn('bad-nudge', { subject: msg.subject }, 'ignored a malformed endpoints-changed message');
          return;
        }
        this.opts.log.debug({ apps: parsed.data.appIds }, 'endpoints changed');
        this.refresh();
      },
    });
    this.refresh();
    await this.idle();
    this.timer = setInterval(() => this.refresh(), this.opts.resyncMs ?? 5000);
  }

  /** Stops following; waits for a refresh under way (so nothing runs after the connection is closed). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.sub?.unsubscribe();
    await this.idle();
  }

  /** Asks for a refresh; folds into the one under way, if any. Never throws. */
  refresh(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.refreshLoop().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once no refresh is under way (for start-up and tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async refreshLoop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.refreshOnce();
      } catch (e) {
        this.warn.warn(
          'refresh',
          { err: (e as Error).message },
          "cannot read the service framework's endpoints; serving the last zone",
        );
      }
    } while (this.again);
  }

  private async refreshOnce(): Promise<void> {
    const reply = await request<ServiceReplies['endpoints']>(
      this.opts.nc,
      SERVICE_API_SUBJECT,
      { type: 'endpoints' },
      { timeoutMs: this.opts.requestTimeoutMs ?? 3000 },
    );
    const apps: AppEndpoints[] = reply.endpoints.map((e) => ({
      appId: e.appId,
      portCount: e.portCount ?? 0,
      endpoints: e.endpoints,
    }));
    const addresses = await this.resolver.resolve(apps.flatMap((a) => a.endpoints.map((e) => e.host)));
    const zone = buildZone({ apps, addresses, serial: this.serial });
    const key = zoneKey(zone);
    if (key === this.lastKey) return;
    this.serial = Math.max(this.serial + 1, Math.floor(Date.now() / 1000)) >>> 0;
    this.lastKey = key;
    this.opts.onZone({ ...zone, serial: this.serial });
    this.opts.log.info({ serial: this.serial, apps: apps.length, names: zone.names.size }, 'zone updated');
  }
}

function safeDecode(data: Uint8Array): unknown {
  try {
    return decode(data);
  } catch {
    return undefined;
  } // reported by the caller as malformed
}

const zoneKey = (zone: Zone): string => JSON.stringify([...zone.names].sort(([a], [b]) => a.localeCompare(b)));
