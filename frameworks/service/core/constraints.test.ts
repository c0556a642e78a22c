import { validateApp, type Constraint } from 'agora/sdk/service';
import { attributeText, describeConstraint, firstViolated, meetsConstraint } from './constraints';
import type { Placement } from './types';

const c = (...t: unknown[]): Constraint => {
  const r = validateApp({ id: '/a', cmd: 'x', constraints: [t] });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.app.constraints[0];
};
const at = (hostname: string, rackName?: string): Placement => ({
  hostname,
  attributes: rackName ? [{ name: 'rack', text: rackName }] : [],
});

describe('constraints', () => {
  it('UNIQUE hostname / attribute', () => {
    expect(meetsConstraint(c('hostname', 'UNIQUE'), at('h1'), [at('h2')])).toBe(true);
    expect(meetsConstraint(c('hostname', 'UNIQUE'), at('h1'), [at('h1')])).toBe(false);
    expect(meetsConstraint(c('rack', 'UNIQUE'), at('h3', 'r1'), [at('h1', 'r1')])).toBe(false);
    expect(meetsConstraint(c('rack', 'UNIQUE'), at('h3', 'r2'), [at('h1', 'r1')])).toBe(true);
  });

  it('CLUSTER with and without a value', () => {
    expect(meetsConstraint(c('rack', 'CLUSTER', 'r1'), at('h1', 'r1'), [])).toBe(true);
    expect(meetsConstraint(c('rack', 'CLUSTER', 'r1'), at('h1', 'r2'), [])).toBe(false);
    expect(meetsConstraint(c('rack', 'CLUSTER'), at('h1', 'r2'), [])).toBe(true);
    expect(meetsConstraint(c('rack', 'CLUSTER'), at('h1', 'r2'), [at('h2', 'r1')])).toBe(false);
    expect(meetsConstraint(c('hostname', 'CLUSTER', 'h1'), at('h1'), [at('h1')])).toBe(true);
  });

  it('GROUP_BY spreads evenly and, with a count, waits for that many groups', () => {
    const g = c('rack', 'GROUP_BY');
    expect(meetsConstraint(g, at('h1', 'r1'), [at('x', 'r1')])).toBe(true); // all groups equal
    expect(meetsConstraint(g, at('h1', 'r1'), [at('x', 'r1'), at('y', 'r2')])).toBe(true);
    expect(meetsConstraint(g, at('h1', 'r1'), [at('x', 'r1'), at('z', 'r1'), at('y', 'r2')])).toBe(false);
    expect(meetsConstraint(g, at('h3', 'r3'), [at('x', 'r1'), at('z', 'r1')])).toBe(true); // a new group is welcome
    const g3 = c('rack', 'GROUP_BY', '3');
    expect(meetsConstraint(g3, at('h1', 'r1'), [at('x', 'r1'), at('y', 'r2')])).toBe(false); // only 2 of 3 groups used
    expect(meetsConstraint(g3, at('h1', 'r1'), [at('x', 'r1'), at('y', 'r2'), at('z', 'r3')])).toBe(true);
  });

  it('LIKE and UNLIKE match the whole value; a missing attribute satisfies only UNLIKE', () => {
    expect(meetsConstraint(c('rack', 'LIKE', 'r[12]'), at('h', 'r1'), [])).toBe(true);
    expect(meetsConstraint(c('rack', 'LIKE', 'r[12]'), at('h', 'r12'), [])).toBe(false);
    expect(meetsConstraint(c('rack', 'UNLIKE', 'r3'), at('h', 'r3'), [])).toBe(false);
    expect(meetsConstraint(c('rack', 'UNLIKE', 'r3'), at('h'), [])).toBe(true);
    expect(meetsConstraint(c('rack', 'LIKE', '.*'), at('h'), [])).toBe(false);
    expect(meetsConstraint(c('rack', 'UNIQUE'), at('h'), [])).toBe(false);
    expect(meetsConstraint(c('hostname', 'LIKE', 'web-.*'), at('web-1'), [])).toBe(true);
  });

  it('MAX_PER caps instances per value', () => {
    const m = c('rack', 'MAX_PER', '2');
    expect(meetsConstraint(m, at('h', 'r1'), [at('x', 'r1')])).toBe(true);
    expect(meetsConstraint(m, at('h', 'r1'), [at('x', 'r1'), at('y', 'r1')])).toBe(false);
    expect(meetsConstraint(m, at('h', 'r2'), [at('x', 'r1'), at('y', 'r1')])).toBe(true);
  });

  it('compares scalar and range attributes as text, and names the first broken rule', () => {
    expect(attributeText({ name: 'gen', scalar: 3 })).toBe('3');
    expect(
      attributeText({
        name: 'p',
        ranges: [
          [5, 6],
          [1, 2],
        ],
      }),
    ).toBe('[1-2,5-6]');
    const rules = [c('rack', 'LIKE', 'r.*'), c('hostname', 'UNIQUE')];
    expect(firstViolated(rules, at('h1', 'r1'), [at('h1', 'r2')])).toBe(rules[1]);
    expect(describeConstraint(rules[1])).toBe('UNIQUE hostname');
    expect(describeConstraint(c('rack', 'GROUP_BY', '3'))).toBe('GROUP_BY rack 3');
  });
});
