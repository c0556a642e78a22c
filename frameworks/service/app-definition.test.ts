import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { drainSecondsOf, parseAppText, validateApp, appTaskPrefix, ServiceRequestSchema } from 'agora/sdk/service';

describe('app definition', () => {
  it('fills Marathon-like defaults', () => {
    const r = validateApp({ id: '/shop/cart', cmd: 'sleep 100' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.app.instances).toBe(1);
    expect(r.app.upgradeStrategy).toEqual({ minimumHealthCapacity: 1, maximumOverCapacity: 1 });
    expect(r.app.backoff.backoffFactor).toBe(1.15);
    expect(r.app.killSelection).toBe('YOUNGEST_FIRST');
    expect(r.app.deployment).toEqual({ progressDeadlineSeconds: 600, onDeadline: 'rollback' });
  });

  it('refuses ids that cannot be DNS names, by field, saying why', () => {
    const problems = (id: string) => {
      const r = validateApp({ id, cmd: 'x' });
      return r.ok ? [] : r.issues.filter((i) => i.field === 'id').map((i) => i.message);
    };
    expect(problems(`/shop/${'a'.repeat(63)}`)).toEqual([]);
    expect(problems(`/shop/${'a'.repeat(64)}`)).toEqual([
      expect.stringMatching(/64 characters; a DNS label holds at most 63/),
    ]);
    expect(problems('/agents/x')).toEqual([expect.stringMatching(/'\/agents' is reserved/)]);
    expect(problems('/agents')).toHaveLength(1);
    expect(problems('/my-agents/x')).toEqual([]);
    const long = Array.from({ length: 4 }, () => `/${'b'.repeat(60)}`).join(''); // 244 characters
    expect(problems(long)).toEqual([
      expect.stringMatching(/too long for DNS: .* would be 262 characters \(at most 253\); shorten the id by 9/),
    ]);
    expect(problems(long.slice(0, -9))).toEqual([]);
  });

  it('lists every problem by field path', () => {
    const r = validateApp({
      id: 'shop/Cart',
      instances: -1,
      mem: 'lots',
      constraints: [
        ['hostname', 'UNIQ'],
        ['rack', 'LIKE'],
        ['rack', 'MAX_PER', 'x'],
      ],
      upgradeStrategy: { minimumHealthCapacity: 2 },
      healthChecks: [{ type: 'HTTP', portIndex: 0 }],
      bogus: 1,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const fields = r.issues.map((i) => i.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'id',
        'instances',
        'mem',
        'constraints[0].operator',
        'constraints[1].value',
        'constraints[2].value',
        'upgradeStrategy.minimumHealthCapacity',
        '(app)',
      ]),
    );
  });

  it('reports cross-field problems together', () => {
    const r = validateApp({
      id: '/a',
      cmd: 'x',
      args: ['y'],
      ports: [8080, 8080],
      upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 },
      healthChecks: [{ type: 'TCP', portIndex: 2 }],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.field).sort()).toEqual([
      'args',
      'healthChecks[0].portIndex',
      'ports',
      'upgradeStrategy',
    ]);
  });

  it('needs a command, in docker too', () => {
    const noCmd = validateApp({ id: '/a', container: { type: 'docker', image: 'busybox:1' } });
    expect(noCmd.ok || noCmd.issues[0].field).toBe('cmd');
    const docker = validateApp({ id: '/a', cmd: 'httpd -f', container: { type: 'docker', image: 'busybox:1' } });
    expect(docker.ok && docker.app.container).toMatchObject({ type: 'DOCKER', image: 'busybox:1' });
  });

  it('accepts constraints as tuples or objects, numbers as values', () => {
    const r = validateApp({
      id: '/a',
      cmd: 'x',
      constraints: [['rack', 'GROUP_BY', 3], { field: 'hostname', operator: 'UNIQUE' }, ['rack', 'LIKE', 'r[12]']],
    });
    expect(r.ok && r.app.constraints).toEqual([
      { field: 'rack', operator: 'GROUP_BY', value: '3' },
      { field: 'hostname', operator: 'UNIQUE' },
      { field: 'rack', operator: 'LIKE', value: 'r[12]' },
    ]);
    const badRe = validateApp({ id: '/a', cmd: 'x', constraints: [['rack', 'UNLIKE', '(']] });
    expect(!badRe.ok && badRe.issues[0].message).toMatch(/regular expression/);
  });

  it('reads JSON and YAML files', () => {
    expect(parseAppText('{"id":"/a","cmd":"x"}')).toEqual({ id: '/a', cmd: 'x' });
    expect(parseAppText('id: /a\ncmd: x\nconstraints:\n  - [hostname, UNIQUE]\n')).toEqual({
      id: '/a',
      cmd: 'x',
      constraints: [['hostname', 'UNIQUE']],
    });
    expect(() => parseAppText('{"id": ', 'app.json')).toThrow(/app.json: not valid JSON/);
    expect(() => parseAppText('a: [', 'app.yaml')).toThrow(/not valid YAML/);
  });

  it('derives the task prefix and validates API requests', () => {
    expect(appTaskPrefix('/shop/cart')).toBe('shop_cart');
    expect(ServiceRequestSchema.safeParse({ type: 'scale', appId: '/shop/cart', instances: 5 }).success).toBe(true);
    expect(ServiceRequestSchema.safeParse({ type: 'scale', appId: 'shop', instances: -1 }).success).toBe(false);
  });

  it('the example apps are valid', () => {
    const dir = join(__dirname, 'examples');
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) {
      const r = validateApp(parseAppText(readFileSync(join(dir, f), 'utf8'), f));
      expect(r.ok ? f : `${f}: ${JSON.stringify(r.issues)}`).toBe(f);
    }
  });

  it('checks a load balancer by field and defaults its mode and drain delay', () => {
    const bad = validateApp({
      id: '/web',
      cmd: 'serve',
      loadBalancer: { port: 0, mode: 'udp', extra: 1 },
      drainSeconds: -1,
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.issues.map((i) => i.field).sort()).toEqual([
      'drainSeconds',
      'loadBalancer',
      'loadBalancer.mode',
      'loadBalancer.port',
    ]);
    expect(bad.issues.find((i) => i.field === 'loadBalancer.port')?.message).toBe('a load balancer port is 1–65535');
    const noPort = validateApp({ id: '/web', cmd: 'serve', loadBalancer: { port: 10001 } });
    expect(noPort.ok ? [] : noPort.issues).toEqual([
      {
        field: 'loadBalancer.portIndex',
        message: 'the load balancer forwards to port index 0 but the app asks for 0 port(s)',
      },
    ]);
    const ok = validateApp({ id: '/web', cmd: 'serve', ports: [0], loadBalancer: { port: 10001 } });
    expect(ok.ok && ok.app.loadBalancer).toEqual({ port: 10001, mode: 'http', portIndex: 0 });
    expect(ok.ok && drainSecondsOf(ok.app)).toBe(2);
    expect(drainSecondsOf({ drainSeconds: 0, loadBalancer: { port: 1, mode: 'tcp', portIndex: 0 } })).toBe(0);
    expect(drainSecondsOf({})).toBe(0);
  });
});
