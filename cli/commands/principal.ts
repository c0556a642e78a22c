/**
 * `agora principal add|list|revoke`: the cluster's identities on the bus. `add` asks the master to mint a
 * principal's NATS user (with the permissions of its kind and the ACLs given) and writes its credentials file;
 * `revoke` has the master refuse it and NATS disconnect it, from then on. See docs/security.md.
 */
import type { Command } from 'commander';
import { ApiError, principalCall, writeCredentials, type CredentialsFile, type PrincipalView } from 'agora/sdk';
import { action, color, examples, jsonOption, natsOption, printTable, withNats, CliError, EXIT } from '../common';

const list = (v: string) => v.split(',').map((s) => s.trim()).filter((s) => s !== '');

function callAs<T extends object>(o: { nats?: string; creds?: string }, op: Parameters<typeof principalCall>[2]): Promise<T> {
  return withNats(o, async (nc, creds) => {
    if (!creds) throw new CliError('no credentials: pass --creds or set AGORA_CREDS (an operator principal, e.g. the admin of `agora up`)', EXIT.USAGE);
    try { return await principalCall<T>(nc, creds.principal, op); } catch (e) {
      if (e instanceof ApiError) throw new CliError(e.message, e.code === 'NOT_FOUND' ? EXIT.NOT_FOUND : e.code === 'INVALID' ? EXIT.USAGE : EXIT.FAILED);
      throw new CliError(`the master did not answer (${(e as Error).message}); only operator principals may manage principals`, EXIT.UNAVAILABLE);
    }
  });
}

export function registerPrincipalCommands(program: Command): void {
  const group = program.command('principal').description('identities on the cluster bus: add (writes a credentials file), list, revoke');
  const add = natsOption(group.command('add <kind> <name>'))
    .description("add a principal (kind: framework, operator or component) and write its credentials file (0600)")
    .option('--roles <list>', 'roles its frameworks may register in and reserve for (comma-separated; ANY: all)', '')
    .option('--task-users <list>', 'users its tasks may run as (comma-separated; ANY: all)', '')
    .option('--apis <list>', "frameworks' APIs it may call: service, cron", '')
    .option('-o, --out <file>', 'where to write the credentials (default ./<name>.creds.json)');
  examples(add, ['agora principal add framework spark --roles analytics --task-users nobody', 'agora principal add operator alice --roles ANY --task-users ANY --apis service,cron -o alice.json']);
  add.action(action(async (kind: string, name: string, o) => {
    if (!['framework', 'operator', 'component'].includes(kind)) throw new CliError(`kind: '${kind}' is not one of framework, operator, component`, EXIT.USAGE);
    const r = await callAs<{ principal: PrincipalView; credentials: CredentialsFile }>(o, { type: 'ADD', name, kind: kind as 'framework', roles: list(o.roles), taskUsers: list(o.taskUsers), apis: list(o.apis) as never });
    const out = o.out ?? `${name}.creds.json`;
    writeCredentials(out, r.credentials);
    process.stdout.write(`${color.green('added')} ${kind} ${name}; credentials in ${out} (keep it secret: it is this principal's identity)\n`);
  }));
  const ls = jsonOption(natsOption(group.command('list'))).description('list principals, their grants and whether they are revoked');
  examples(ls, ['agora principal list', 'agora principal list --json']);
  ls.action(action(async (o) => {
    const r = await callAs<{ principals: PrincipalView[] }>(o, { type: 'LIST' });
    if (o.json) { process.stdout.write(`${JSON.stringify(r.principals, null, 2)}\n`); return; }
    printTable(r.principals, [
      { header: 'NAME', get: (p) => p.name }, { header: 'KIND', get: (p) => p.kind },
      { header: 'ROLES', get: (p) => p.roles.join(',') }, { header: 'TASK USERS', get: (p) => p.taskUsers.join(',') },
      { header: 'APIS', get: (p) => p.apis.join(',') },
      { header: 'STATE', get: (p) => (p.revokedAt ? color.red(`revoked ${new Date(p.revokedAt).toISOString()}`) : color.green('active')) },
    ]);
  }));
  const rv = natsOption(group.command('revoke <name>')).description('revoke a principal: the master refuses it and NATS disconnects it, from now on');
  examples(rv, ['agora principal revoke spark']);
  rv.action(action(async (name: string, o) => {
    await callAs(o, { type: 'REVOKE', name });
    process.stdout.write(`${color.red('revoked')} ${name}\n`);
  }));
}
