import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameworkInfoSchema, type AgentInfo } from '../sdk';
import { Registry } from './registry';

describe('registry', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reg-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps frameworks, agents, reservations, drains and roles across reopening', () => {
    const r1 = new Registry(dir);
    r1.upsertFramework(FrameworkInfoSchema.parse({ id: 'fw-1', name: 'one', failoverTimeoutMs: 5000 }), 10);
    r1.upsertFramework(FrameworkInfoSchema.parse({ id: 'fw-2', name: 'two' }), 11);
    r1.removeFramework('fw-2', 20);
    const agent = {
      id: 'a-1',
      hostname: 'h',
      resources: [],
      attributes: [],
      containerizers: ['native'],
      version: '1',
    } as unknown as AgentInfo;
    r1.upsertAgent(agent, 30);
    r1.setReservations('a-1', 'cpus(web):2');
    r1.setDrain('a-1', { deadline: 99, drained: false });
    r1.setRole({ role: 'eng', weight: 2, guarantee: 'cpus:1' });
    r1.close();
    const r2 = new Registry(dir);
    expect(r2.framework('fw-1')).toMatchObject({ info: { name: 'one', failoverTimeoutMs: 5000 }, registeredAt: 10 });
    expect(r2.framework('fw-2')?.removedAt).toBe(20);
    expect(r2.framework('nope')).toBeUndefined();
    expect(r2.agent('a-1')).toMatchObject({
      reservations: 'cpus(web):2',
      drain: { deadline: 99, drained: false },
      registeredAt: 30,
    });
    expect(r2.roles()).toEqual([{ role: 'eng', weight: 2, guarantee: 'cpus:1', limit: undefined }]);
    r2.upsertAgent(agent, 40);
    expect(r2.agent('a-1')?.registeredAt).toBe(30);
    r2.close();
  });
});
