/** `agora token create|list|revoke`: the master's HTTP API tokens (an admin token manages them). */
import type { Command } from 'commander';
import type { TokenView } from 'agora/sdk/operator';
import { action, color, examples, httpJson, jsonOption, masterOption, printJson, printTable } from '../common';

export function registerTokenCommands(program: Command): void {
  const token = program
    .command('token')
    .description(
      'HTTP API tokens: viewer (read), operator (+ drain, kill, sandboxes, apps and jobs), admin (+ quotas, weights, tokens)',
    );
  const create = token
    .command('create')
    .description('create a token; its secret is printed once (the master keeps only a hash)')
    .requiredOption('--name <name>', 'a name for the token (shown in logs and the page)')
    .requiredOption('--role <role>', 'viewer, operator or admin');
  masterOption(create);
  jsonOption(create);
  examples(create, [
    'agora token create --role operator --name ci',
    'export AGORA_TOKEN=$(agora token create --role viewer --name grafana --json | jq -r .secret)',
  ]);
  create.action(
    action(async (o) => {
      const t = await httpJson<TokenView & { secret: string }>(o, 'POST', '/api/v1/tokens', {
        name: o.name,
        role: o.role,
      });
      if (o.json) return printJson(t);
      process.stdout.write(
        `token ${t.name} (${t.role})\n  accessor  ${t.accessor}\n  secret    ${t.secret}\n${color.dim('The secret is shown this once. Use it with --token or AGORA_TOKEN; revoke with agora token revoke <accessor>.')}\n`,
      );
    }),
  );
  const list = token.command('list').description('every token: accessor, name, role, created (never secrets)');
  masterOption(list);
  jsonOption(list);
  examples(list, ['agora token list', 'agora token list --json | jq -r ".[].name"']);
  list.action(
    action(async (o) => {
      const { tokens } = await httpJson<{ tokens: TokenView[] }>(o, 'GET', '/api/v1/tokens');
      if (o.json) return printJson(tokens);
      printTable(tokens, [
        { header: 'ACCESSOR', get: (t) => t.accessor },
        { header: 'NAME', get: (t) => t.name },
        { header: 'ROLE', get: (t) => t.role },
        { header: 'CREATED', get: (t) => new Date(t.createdAt).toISOString() },
      ]);
    }),
  );
  const revoke = token
    .command('revoke <accessor-or-name>')
    .description('revoke a token: refused from the next request on');
  masterOption(revoke);
  jsonOption(revoke);
  examples(revoke, ['agora token revoke ci', 'agora token revoke 0b7e…-accessor-id']);
  revoke.action(
    action(async (id: string, o) => {
      const { revoked } = await httpJson<{ revoked: TokenView }>(
        o,
        'DELETE',
        `/api/v1/tokens/${encodeURIComponent(id)}`,
      );
      if (o.json) return printJson(revoked);
      process.stdout.write(`revoked token ${revoked.name} (${revoked.role}, accessor ${revoked.accessor})\n`);
    }),
  );
}
