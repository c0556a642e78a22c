/**
 * The dependency graph between jobs: a job with `parents` runs once all of them have succeeded since its
 * own last dependency run. The graph must stay acyclic; a submit that would close a cycle is refused.
 */

export type ParentsOf = ReadonlyMap<string, readonly string[]>;

/** A cycle through `name` if `name` took `parents` in the graph, as the list of jobs around it; else null. */
export function findCycle(graph: ParentsOf, name: string, parents: readonly string[]): string[] | null {
  const parentsOf = (job: string) => (job === name ? parents : graph.get(job) ?? []);
  // Depth-first from the new job's parents upwards; reaching `name` again closes a cycle.
  const path: string[] = [name];
  const seen = new Set<string>();
  const visit = (job: string): boolean => {
    if (job === name) return true;
    if (seen.has(job)) return false;
    seen.add(job);
    path.push(job);
    for (const p of parentsOf(job)) if (visit(p)) return true;
    path.pop();
    return false;
  };
  for (const p of parents) if (visit(p)) return [...path, name];
  return null;
}

/** Jobs that list `name` among their parents, sorted. */
export function childrenOf(graph: ParentsOf, name: string): string[] {
  return [...graph].filter(([, ps]) => ps.includes(name)).map(([job]) => job).sort();
}

/**
 * The graph as an indented text tree, roots first (jobs without parents). A job with several parents
 * appears under each, marked `(also after …)` beyond its first appearance's context.
 */
export function renderTree(graph: ParentsOf): string[] {
  const names = [...graph.keys()].sort();
  const lines: string[] = [];
  const walk = (job: string, depth: number, via: string | null, trail: Set<string>) => {
    const others = (graph.get(job) ?? []).filter((p) => p !== via);
    const note = via !== null && others.length > 0 ? `  (also after ${others.join(', ')})` : '';
    lines.push(`${depth === 0 ? '' : '  '.repeat(depth - 1) + '└─ '}${job}${note}`);
    if (trail.has(job)) return;
    const next = new Set(trail).add(job);
    for (const child of childrenOf(graph, job)) walk(child, depth + 1, job, next);
  };
  for (const root of names.filter((n) => (graph.get(n) ?? []).length === 0)) walk(root, 0, null, new Set());
  return lines;
}
