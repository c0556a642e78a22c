/**
 * `agora secret put|list|rm|grant|revoke`: secrets kept by the master, sealed at rest (an admin token manages
 * them). A value goes in from stdin or a file and never comes back out: `list` shows names, sizes, times and
 * grants. Tasks, apps and jobs name secrets as `secrets: { DB_PASSWORD: 'db-pass' }`; a framework's tasks get
 * them only when its principal is granted (`--grant` or `agora secret grant`).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { MAX_SECRET_BYTES, SecretNameParamSchema, type SecretView } from 'agora/sdk/operator';
import {
  CliError,
  EXIT,
  action,
  color,
  examples,
  httpJson,
  jsonOption,
  masterOption,
  printJson,
  printTable,
} from '../common';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerSecretCommands(program: Command): void {
  const secret = program
    .command('secret')
    .description('secrets for tasks, apps and jobs: stored encrypted by the master, given only to granted principals');

  const put = secret
    .command('put <name>')
    .description('create or replace a secret; the value is read from stdin (or --file), one trailing newline dropped')
    .option('--file <path>', 'read the value from this file instead of stdin')
    .option('--keep-newline', 'keep a trailing newline of the value', false)
    .option(
      '--grant <principal>',
      'a principal whose frameworks may read it (repeatable; * for every framework)',
      collect,
    );
  masterOption(put);
  jsonOption(put);
  examples(put, [
    "printf %s 'hunter2' | agora secret put db-pass --grant service",
    'agora secret put tls-key --file ./server.key --grant spark --grant cron',
    'agora app deploy shop.json     # with "secrets": { "DB_PASSWORD": "db-pass" }',
  ]);
  put.action(
    action(async (name: string, o) => {
      checkName(name);
      const value = await readValue(o.file, o.keepNewline);
      const r = await httpJson<SecretView & { created: boolean }>(
        o,
        'PUT',
        `/api/v1/secrets/${encodeURIComponent(name)}`,
        {
          value,
          grants: o.grant ?? [],
        },
      );
      if (o.json) return printJson(r);
      const grants =
        r.grants.length > 0
          ? r.grants.join(', ')
          : color.dim('nobody yet: agora secret grant ' + name + ' <principal>');
      process.stdout.write(
        `${r.created ? 'created' : 'replaced'} secret ${r.name} (${r.bytes} bytes); readable by ${grants}\n`,
      );
    }),
  );

  const list = secret.command('list').description('every secret: name, size, created, updated, grants (never values)');
  masterOption(list);
  jsonOption(list);
  examples(list, ['agora secret list', 'agora secret list --json | jq -r ".[].name"']);
  list.action(
    action(async (o) => {
      const { secrets } = await httpJson<{ secrets: SecretView[] }>(o, 'GET', '/api/v1/secrets');
      if (o.json) return printJson(secrets);
      printTable(secrets, [
        { header: 'NAME', get: (s) => s.name },
        { header: 'BYTES', get: (s) => s.bytes, align: 'right' },
        { header: 'CREATED', get: (s) => new Date(s.createdAt).toISOString() },
        { header: 'UPDATED', get: (s) => new Date(s.updatedAt).toISOString() },
        { header: 'GRANTS', get: (s) => (s.grants.length > 0 ? s.grants.join(',') : color.dim('none')) },
      ]);
    }),
  );

  const rm = secret.command('rm <name>').description('remove a secret: tasks naming it are refused from then on');
  masterOption(rm);
  jsonOption(rm);
  examples(rm, ['agora secret rm db-pass']);
  rm.action(
    action(async (name: string, o) => {
      checkName(name);
      const r = await httpJson<{ removed: string }>(o, 'DELETE', `/api/v1/secrets/${encodeURIComponent(name)}`);
      if (o.json) return printJson(r);
      process.stdout.write(`removed secret ${r.removed}\n`);
    }),
  );

  for (const verb of ['grant', 'revoke'] as const) {
    const cmd = secret
      .command(`${verb} <name> <principals...>`)
      .description(
        verb === 'grant'
          ? "let these principals' frameworks read the secret in their tasks (* for every framework)"
          : 'take the secret away from these principals (their next launches naming it are refused)',
      );
    masterOption(cmd);
    jsonOption(cmd);
    examples(cmd, [`agora secret ${verb} db-pass service`, `agora secret ${verb} db-pass spark cron`]);
    cmd.action(
      action(async (name: string, principals: string[], o) => {
        checkName(name);
        const r = await httpJson<{ name: string; grants: string[] }>(
          o,
          'POST',
          `/api/v1/secrets/${encodeURIComponent(name)}/grants`,
          { [verb]: principals },
        );
        if (o.json) return printJson(r);
        process.stdout.write(`secret ${r.name} readable by ${r.grants.length > 0 ? r.grants.join(', ') : 'nobody'}\n`);
      }),
    );
  }
}

function checkName(name: string): void {
  if (name === '') throw new CliError('name: required (a secret name like db-pass)', EXIT.USAGE);
  const r = SecretNameParamSchema.safeParse(name);
  if (!r.success) throw new CliError(`name: '${name}': ${r.error.issues[0]?.message}`, EXIT.USAGE);
}

async function readValue(file: string | undefined, keepNewline: boolean): Promise<string> {
  let bytes: Buffer;
  if (file !== undefined) {
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new CliError(`--file: cannot read ${file}: ${(e as Error).message}`, EXIT.USAGE);
    }
  } else {
    if (process.stdin.isTTY)
      throw new CliError(
        "value: pipe it on stdin (printf %s '…' | agora secret put NAME) or give --file (a terminal would echo it)",
        EXIT.USAGE,
      );
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    bytes = Buffer.concat(chunks);
  }
  let text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes))
    throw new CliError('value: not UTF-8 text (secrets become environment variables)', EXIT.USAGE);
  if (!keepNewline) text = text.replace(/\r?\n$/, '');
  const size = Buffer.byteLength(text, 'utf8');
  if (size === 0) throw new CliError('value: empty (nothing on stdin or in --file)', EXIT.USAGE);
  if (size > MAX_SECRET_BYTES)
    throw new CliError(
      `value: ${size} bytes, more than ${MAX_SECRET_BYTES} (a secret is a password or a key)`,
      EXIT.USAGE,
    );
  return text;
}
