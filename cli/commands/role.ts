/** `agora role set|list`: weights and quotas over the master's operator API. */
import type { Command } from 'commander';
import { action, examples, httpJson, jsonOption, masterOption, printJson, printTable, CliError, EXIT } from '../common';

interface RoleRow {
  role: string;
  weight: number;
  guarantee: string | null;
  limit: string | null;
  allocated: string;
  share: number;
  frameworks: string[];
}

export function registerRoleCommands(program: Command): void {
  const role = program.command('role').description('role weights and quotas (hierarchical DRF)');
  const set = role
    .command('set <role>')
    .description("set a role's weight and/or quota (persisted by the master)")
    .option('--weight <n>', 'weight (default 1): share of the cluster relative to other roles')
    .option('--quota <resources>', "guarantee, e.g. 'cpus:4;mem:8192' ('' clears)")
    .option('--limit <resources>', "limit, e.g. 'cpus:8;mem:16384' ('' clears)");
  masterOption(set);
  jsonOption(set);
  examples(set, [
    "agora role set eng --weight 2 --quota 'cpus:4;mem:8192'",
    "agora role set eng/backend --limit 'cpus:8'",
    "agora role set eng --quota ''",
  ]);
  set.action(
    action(async (name: string, o) => {
      const body: Record<string, unknown> = {};
      if (o.weight !== undefined) {
        const w = Number(o.weight);
        if (!(w > 0)) throw new CliError(`--weight: '${o.weight}' must be a number > 0`, EXIT.USAGE);
        body.weight = w;
      }
      if (o.quota !== undefined) body.guarantee = o.quota === '' ? null : o.quota;
      if (o.limit !== undefined) body.limit = o.limit === '' ? null : o.limit;
      if (Object.keys(body).length === 0)
        throw new CliError('nothing to set: give --weight, --quota or --limit', EXIT.USAGE);
      const r = await httpJson<RoleRow>(
        o,
        'PUT',
        `/api/v1/roles/${name.split('/').map(encodeURIComponent).join('/')}`,
        body,
      );
      if (o.json) printJson(r);
      else
        process.stdout.write(
          `role ${r.role}: weight ${r.weight}, guarantee ${r.guarantee ?? '-'}, limit ${r.limit ?? '-'}\n`,
        );
    }),
  );
  const list = role.command('list').description('roles with weight, quota, allocation and dominant share');
  masterOption(list);
  jsonOption(list);
  examples(list, ['agora role list', 'agora role list --json | jq .']);
  list.action(
    action(async (o) => {
      const { roles } = await httpJson<{ roles: RoleRow[] }>(o, 'GET', '/api/v1/roles');
      if (o.json) return printJson(roles);
      printTable(roles, [
        { header: 'ROLE', get: (r) => r.role },
        { header: 'WEIGHT', get: (r) => r.weight, align: 'right' },
        { header: 'GUARANTEE', get: (r) => r.guarantee },
        { header: 'LIMIT', get: (r) => r.limit },
        { header: 'ALLOCATED', get: (r) => r.allocated || '-' },
        { header: 'SHARE', get: (r) => r.share.toFixed(3), align: 'right' },
        { header: 'FRAMEWORKS', get: (r) => r.frameworks.length, align: 'right' },
      ]);
    }),
  );
}
