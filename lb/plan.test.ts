import { backendName, EMPTY_LAYOUT, plan, slotsFor, type BackendServer, type Site } from './plan';
import { renderConfig } from './haproxy-config';

const srv = (id: string, port: number, state: BackendServer['state'] = 'ready'): BackendServer => ({
  instanceId: id,
  address: '10.0.0.1',
  port,
  state,
});
const site = (servers: BackendServer[], over: Partial<Site> = {}): Site => ({
  appId: '/shop/cart',
  port: 10001,
  mode: 'http',
  servers,
  ...over,
});

describe('lb plan', () => {
  it('a new frontend reloads; its instances take the first slots', () => {
    const p = plan(EMPTY_LAYOUT, [site([srv('a', 31000), srv('b', 31001)])]);
    expect(p.reload).toBe(true);
    expect(p.layout.frontends).toEqual([
      { appId: '/shop/cart', backend: 'be_shop_cart', port: 10001, mode: 'http', slots: 8 },
    ]);
    expect(p.commands).toEqual([
      'set server be_shop_cart/s1 addr 10.0.0.1 port 31000',
      'set server be_shop_cart/s1 state ready',
      'set server be_shop_cart/s2 addr 10.0.0.1 port 31001',
      'set server be_shop_cart/s2 state ready',
    ]);
  });

  it('instance changes go through the runtime API alone: drain, maintenance first, new slots after', () => {
    const one = plan(EMPTY_LAYOUT, [site([srv('a', 31000), srv('b', 31001)])]).layout;
    const two = plan(one, [site([srv('a', 31000, 'drain'), srv('c', 31002)])]);
    expect(two.reload).toBe(false);
    expect(two.commands).toEqual([
      'set server be_shop_cart/s2 state maint',
      'set server be_shop_cart/s1 state drain',
      // s2 was freed in this round: its connections may still be finishing, so c takes s3
      'set server be_shop_cart/s3 addr 10.0.0.1 port 31002',
      'set server be_shop_cart/s3 state ready',
    ]);
    const three = plan(two.layout, [site([srv('c', 31002)])]);
    expect(three.commands).toEqual(['set server be_shop_cart/s1 state maint']);
    expect(plan(three.layout, [site([srv('c', 31002)])]).commands).toEqual([]);
  });

  it('grows a backend by a reload when its slots run out, keeping every slot it had', () => {
    const first = plan(EMPTY_LAYOUT, [site([srv('a', 1)])]).layout;
    const many = Array.from({ length: 9 }, (_, k) => srv(`i${k}`, 100 + k));
    const p = plan(first, [site([srv('a', 1), ...many])]);
    expect(p.reload).toBe(true);
    expect(p.layout.frontends[0].slots).toBe(slotsFor(10));
    expect(p.layout.slots.get('be_shop_cart')![0]).toEqual(srv('a', 1));
  });

  it('a port listed twice is balanced for one app only, and says why for the other', () => {
    const p = plan(EMPTY_LAYOUT, [site([], { appId: '/b' }), site([], { appId: '/a' })]);
    expect(p.layout.frontends.map((f) => f.appId)).toEqual(['/a']);
    expect(p.skipped).toEqual([{ appId: '/b', port: 10001, why: 'port 10001 is already balanced for /a' }]);
  });

  it('removing the last site reloads to no frontends', () => {
    const one = plan(EMPTY_LAYOUT, [site([srv('a', 1)])]).layout;
    const p = plan(one, []);
    expect(p).toMatchObject({ reload: true, commands: [] });
    expect(p.layout.frontends).toEqual([]);
  });

  it('names backends after app ids and renders slots per backend', () => {
    expect(backendName('/shop/cart-v2')).toBe('be_shop_cart-v2');
    const layout = plan(EMPTY_LAYOUT, [site([], { mode: 'tcp', port: 5432, appId: '/db' })]).layout;
    const cfg = renderConfig(
      layout,
      { socket: '/run/x.sock', serverState: '/run/state' },
      { bindAddress: '127.0.0.1' },
    );
    expect(cfg).toContain('stats socket /run/x.sock mode 600 level admin expose-fd listeners');
    expect(cfg).toContain('frontend fe_5432\n  mode tcp\n  bind 127.0.0.1:5432\n  default_backend be_db');
    expect(cfg).toContain('server-template s 1-8 127.0.0.1:1 disabled');
  });
});
