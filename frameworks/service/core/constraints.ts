/**
 * Placement constraints as Marathon defines them, on `hostname` or any agent attribute:
 *
 *   UNIQUE     no two instances share the value              ["hostname", "UNIQUE"]
 *   CLUSTER    every instance has the same value (the given   ["rack", "CLUSTER", "r1"]
 *              one, or whichever the first instance got)
 *   GROUP_BY   spread evenly across the values; with a count, ["rack", "GROUP_BY", "3"]
 *              wait until that many distinct values are used before doubling up
 *   LIKE       the value fully matches the regular expression ["rack", "LIKE", "r[12]"]
 *   UNLIKE     the value does not match (an agent without the  ["rack", "UNLIKE", "r3"]
 *              attribute satisfies UNLIKE, and nothing else)
 *   MAX_PER    at most N instances per value                  ["rack", "MAX_PER", "2"]
 *
 * `placed` are the app's instances that hold an agent now (every version: a rolling upgrade must not break
 * UNIQUE), plus those placed earlier in the same offer round.
 */
import type { Attribute } from 'agora/sdk';
import type { Constraint } from 'agora/sdk/service';
import type { Placement } from './types';

/** An attribute as text, the way Marathon compares them: scalar as a number, ranges as `[a-b,c-d]`. */
export function attributeText(a: Attribute): string | undefined {
  if (a.text !== undefined) return a.text;
  if (a.scalar !== undefined) return String(a.scalar);
  if (a.ranges !== undefined)
    return `[${[...a.ranges]
      .sort((x, y) => x[0] - y[0])
      .map(([b, e]) => `${b}-${e}`)
      .join(',')}]`;
  return undefined;
}

export function fieldValue(p: Placement, field: string): string | undefined {
  if (field === 'hostname') return p.hostname;
  const attr = p.attributes.find((a) => a.name === field);
  return attr ? attributeText(attr) : undefined;
}

const fullMatch = (pattern: string, value: string): boolean => new RegExp(`^(?:${pattern})$`).test(value);

/** Instances per value of `field` (instances without the field are left out). */
function countsBy(placed: readonly Placement[], field: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of placed) {
    const v = fieldValue(p, field);
    if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}

/**
 * GROUP_BY: a value not used yet is always welcome; a used one only when at least `minGroups` values are in
 * use and it holds no more instances than the emptiest one.
 */
function groupByAllows(value: string, placed: readonly Placement[], field: string, minGroups: number): boolean {
  const counts = countsBy(placed, field);
  const mine = counts.get(value);
  if (mine === undefined) return true;
  const fewest = Math.min(...counts.values());
  return counts.size >= minGroups && mine === fewest;
}

export function meetsConstraint(c: Constraint, candidate: Placement, placed: readonly Placement[]): boolean {
  const value = fieldValue(candidate, c.field);
  if (value === undefined) return c.operator === 'UNLIKE';
  switch (c.operator) {
    case 'UNIQUE':
      return placed.every((p) => fieldValue(p, c.field) !== value);
    case 'CLUSTER':
      return (!c.value || c.value === value) && placed.every((p) => fieldValue(p, c.field) === value);
    case 'GROUP_BY':
      return groupByAllows(value, placed, c.field, c.value ? Number(c.value) : 0);
    case 'LIKE':
      return fullMatch(c.value ?? '', value);
    case 'UNLIKE':
      return !fullMatch(c.value ?? '', value);
    case 'MAX_PER':
      return (countsBy(placed, c.field).get(value) ?? 0) < Number(c.value);
    default:
      return false;
  }
}

/** `UNIQUE hostname`, `GROUP_BY rack 3`, `LIKE rack r[12]`. */
export function describeConstraint(c: Constraint): string {
  return [c.operator, c.field, c.value].filter((s) => s !== undefined && s !== '').join(' ');
}

/** The first constraint the candidate breaks, or undefined when it meets them all. */
export function firstViolated(
  constraints: readonly Constraint[],
  candidate: Placement,
  placed: readonly Placement[],
): Constraint | undefined {
  return constraints.find((c) => !meetsConstraint(c, candidate, placed));
}
