/** Read-only views for the operator API (`agora role list`): per role its weight, quota, allocation and share. */
import { Resources } from '../../sdk/resources';
import type { Quota, RoleInfo } from './allocator';
import type { DrfSorter, RoleNode, SortNode } from './drf-sorter';
import type { ClientNode } from './state';

function* clientsUnder(node: SortNode): Generator<ClientNode> {
  if (node.kind === 'client') yield node as ClientNode;
  else for (const child of node.childNodes()) yield* clientsUnder(child);
}

function roleInfo(node: RoleNode, quotas: ReadonlyMap<string, Quota>): RoleInfo {
  let allocated = Resources.EMPTY;
  for (const client of clientsUnder(node)) for (const held of client.held.values()) allocated = allocated.add(held);
  const frameworks = [...node.ownClients.clients]
    .map((c) => c as ClientNode)
    .filter((c) => c.framework.subscribedRoles.has(node.role))
    .map((c) => c.framework.id);
  return {
    role: node.role,
    weight: node.weight,
    quota: quotas.get(node.role) ?? {},
    allocated,
    share: node.share,
    frameworks,
  };
}

/** Every role known to the allocator (subscribed, weighted, with quota, or a parent of one), by path. */
export function roleInfos(sorter: DrfSorter, quotas: ReadonlyMap<string, Quota>): RoleInfo[] {
  return [...sorter.allRoles()].sort((a, b) => a.role.localeCompare(b.role)).map((node) => roleInfo(node, quotas));
}
