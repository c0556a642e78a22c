/** Builders for the cores' unit tests (not used at run time). */
import { Resources, type Offer } from 'agora/sdk';
import { validateApp, type AppDefinitionInput } from 'agora/sdk/service';
import { NO_BACKOFF, type App, type Instance } from './types';

export function def(overrides: Partial<AppDefinitionInput> = {}) {
  const r = validateApp({ id: '/shop/cart', cmd: 'sleep 1000', instances: 3, cpus: 0.5, mem: 128, ...overrides });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.app;
}

export function app(overrides: Partial<AppDefinitionInput> = {}, version = 1, extra: Partial<App> = {}): App {
  return { def: def(overrides), version, backoff: NO_BACKOFF, ...extra };
}

let seq = 0;
export function instance(over: Partial<Instance> = {}): Instance {
  seq++;
  const id = over.instanceId ?? `shop_cart.i${seq}`;
  return {
    instanceId: id,
    taskId: `${id}.t`,
    appId: '/shop/cart',
    version: 1,
    agentId: `a${seq % 3}`,
    hostname: `h${seq % 3}`,
    attributes: [],
    ports: [],
    checked: false,
    state: 'RUNNING',
    launchedAt: seq,
    ...over,
  };
}

export function offer(hostname: string, over: Partial<Offer> & { res?: string } = {}): Offer {
  const { res, ...rest } = over;
  return {
    id: `o-${hostname}-${++seq}`,
    frameworkId: 'fw',
    agentId: `agent-${hostname}`,
    hostname,
    role: '*',
    resources: Resources.parse(res ?? 'cpus:4;mem:4096;disk:1000;ports:[31000-31010]').toWire(),
    attributes: [],
    containerizers: ['native', 'docker'],
    ...rest,
  } as Offer;
}

export const rack = (r: string) => [{ name: 'rack', text: r }];
