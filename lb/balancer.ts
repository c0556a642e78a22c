/**
 * The balancer's shell: every `pollMs` it asks the service framework for its load-balanced apps (the
 * `loadBalancers` call of agora.v1.api.service), turns ready instances into `ready` servers and draining ones
 * into `drain` servers, lets `plan()` decide, and carries the plan out on HAProxy — a seamless reload only when
 * the frontends change, runtime API commands otherwise. One round at a time; a failed round changes nothing
 * that is remembered, so the next one tries again from what really runs.
 */
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { request, type Logger, type NatsConnection } from 'agora/sdk';
import { LoadBalancedAppSchema, SERVICE_API_SUBJECT, type LoadBalancedApp } from 'agora/sdk/service';
import { renderConfig, type ConfigOptions } from './haproxy-config';
import type { Haproxy, HaproxyPaths } from './haproxy';
import { EMPTY_LAYOUT, plan, type BackendServer, type Layout, type Site } from './plan';

const RepliesSchema = z.object({ loadBalancers: z.array(LoadBalancedAppSchema) });

export interface BalancerOptions extends ConfigOptions {
  readonly nc: NatsConnection;
  readonly haproxy: Haproxy;
  readonly paths: HaproxyPaths;
  readonly log: Logger;
  /** How often the service framework is asked (default 250 ms; keep it well under the apps' drain delay). */
  readonly pollMs?: number;
  /** Hostname → IPv4/IPv6 address (default: the system resolver, IPv4 first). */
  readonly resolve?: (hostname: string) => Promise<string>;
}

export async function systemResolve(hostname: string): Promise<string> {
  const all = await lookup(hostname, { all: true });
  return (all.find((a) => a.family === 4) ?? all[0]).address;
}

/** Whether `port` can be bound on `address` right now (a port some other process holds cannot be balanced). */
export function portFree(port: number, address = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: address, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export class Balancer {
  private layout: Layout = EMPTY_LAYOUT;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private failing = false;
  /** Ports found busy, with what was said about them, so each is logged once. */
  private readonly busy = new Map<number, string>();
  readonly resolve: (hostname: string) => Promise<string>;

  constructor(private readonly opts: BalancerOptions) {
    this.resolve = opts.resolve ?? systemResolve;
  }

  /** Rounds that completed (read, plan, apply), for tests and logs. */
  rounds = 0;

  /** What HAProxy runs now (for tests and `show`). */
  get current(): Layout {
    return this.layout;
  }

  start(): void {
    this.loop();
  }

  private loop(): void {
    if (this.stopped) return;
    this.sync()
      .catch((e) => {
        if (!this.failing) this.opts.log.error({ err: (e as Error).message }, 'load balancer round failed; retrying');
        this.failing = true;
      })
      .finally(() => {
        if (!this.stopped) this.timer = setTimeout(() => this.loop(), this.opts.pollMs ?? 250);
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.opts.haproxy.stop();
  }

  /** One round: read, plan, apply. */
  async sync(): Promise<void> {
    const reply = RepliesSchema.parse(
      await request(this.opts.nc, SERVICE_API_SUBJECT, { type: 'loadBalancers' }, { timeoutMs: 2000 }),
    );
    const sites = await this.sitesOf(reply.loadBalancers);
    const running = this.opts.haproxy.running ? this.layout : EMPTY_LAYOUT;
    const open = await this.withoutBusyPorts(sites, running);
    const p = plan(running, open);
    for (const s of p.skipped) this.opts.log.error({ app: s.appId, port: s.port }, s.why);
    if (p.reload || !this.opts.haproxy.running) {
      writeFileSync(this.opts.paths.config, renderConfig(p.layout, this.opts.paths, this.opts));
      await this.opts.haproxy.reload();
      this.opts.log.info(
        { frontends: p.layout.frontends.map((f) => `${f.port} ${f.mode} ${f.appId} (${f.slots} slots)`) },
        'haproxy reloaded',
      );
    }
    if (p.commands.length > 0) {
      await this.opts.haproxy.run(p.commands);
      this.opts.log.info({ commands: p.commands }, 'servers changed');
    }
    this.layout = p.layout;
    this.rounds++;
    if (this.failing) this.opts.log.info('load balancer rounds succeed again');
    this.failing = false;
  }

  private async sitesOf(apps: readonly LoadBalancedApp[]): Promise<Site[]> {
    const sites: Site[] = [];
    for (const a of apps) {
      const servers: BackendServer[] = [];
      for (const i of a.instances) {
        if (!i.ready && !i.draining) continue;
        const port = i.ports[a.loadBalancer.portIndex];
        if (!port) continue;
        try {
          servers.push({
            instanceId: i.instanceId,
            address: await this.resolve(i.hostname),
            port,
            state: i.ready ? 'ready' : 'drain',
          });
        } catch (e) {
          this.opts.log.warn(
            { app: a.appId, instance: i.instanceId, hostname: i.hostname, err: (e as Error).message },
            'cannot resolve the host of an instance; left out',
          );
        }
      }
      sites.push({ appId: a.appId, port: a.loadBalancer.port, mode: a.loadBalancer.mode, servers });
    }
    return sites;
  }

  /** Leaves out sites whose port is new to HAProxy and held by another process (logged once per port and app). */
  private async withoutBusyPorts(sites: readonly Site[], running: Layout): Promise<Site[]> {
    const out: Site[] = [];
    for (const s of sites) {
      if (running.frontends.some((f) => f.port === s.port) || (await portFree(s.port, this.opts.bindAddress))) {
        this.busy.delete(s.port);
        out.push(s);
        continue;
      }
      if (this.busy.get(s.port) !== s.appId)
        this.opts.log.error(
          { app: s.appId, port: s.port },
          `load balancer port ${s.port} of ${s.appId} is in use by another process on this host; not balanced until it is free`,
        );
      this.busy.set(s.port, s.appId);
    }
    return out;
  }
}
