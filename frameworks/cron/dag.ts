/**
 * The dependency graph between jobs: a job with `parents` runs once all of them have succeeded since its
 * own last dependency run. The graph must stay acyclic; a submit that would close a cycle is refused.
 */

export type ParentsOf = ReadonlyMap<string, readonly string[]>;

/** A cycle through `name` if `name` took `parents` in the graph, as the list of jobs around it; else null. */
export function findCycle(graph: ParentsOf, name: string, parents: readonly string[]): string[] | null {
  const parentsOf = (job: string) => (job === name ? parents : (graph.get(job) ?? []));
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
  return [...graph]
    .filter(([, ps]) => ps.includes(name))
    .map(([job]) => job)
    .sort();
}
