/**
 * `agora app …`, `agora deployments`, `agora deployment …`: the service framework's CLI, over its NATS API
 * (`agora.v1.api.service`, schemas in sdk/apps.ts).
 *
 *   agora app deploy app.json --wait      create or change an app; --wait shows healthy-of-target and exits 1 if it fails
 *   agora app show /shop/cart             instances, health, version, placement, endpoints, current deployment
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { request, type NatsConnection } from 'agora/sdk';
import {
  appDnsName,
  appIdDnsProblems,
  parseAppText,
  SERVICE_API_SUBJECT,
  validateApp,
  type AppDetail,
  type DeploymentView,
  type ServiceReplies,
  type ServiceRequest,
} from 'agora/sdk/service';
import {
  action,
  color,
  CliError,
  examples,
  EXIT,
  jsonOption,
  natsOption,
  parseDuration,
  printJson,
  printTable,
  stateColor,
  withNats,
} from '../common';

async function call<K extends ServiceRequest['type']>(
  nc: NatsConnection,
  body: Extract<ServiceRequest, { type: K }>,
): Promise<ServiceReplies[K]> {
  try {
    return await request<ServiceReplies[K] & object>(nc, SERVICE_API_SUBJECT, body, { timeoutMs: 10_000 });
  } catch (e) {
    if ((e as { code?: string }).code === 'UNAVAILABLE')
      throw new CliError(
        'the service framework does not answer (is it running? `agora up` starts it)',
        EXIT.UNAVAILABLE,
      );
    throw e;
  }
}

/** `[##########··········]  3/6 ready  old 2  RUNNING` */
export function progressLine(d: DeploymentView, width = 24): string {
  const filled = d.target === 0 ? width : Math.min(width, Math.round((d.ready / d.target) * width));
  const bar = `[${'#'.repeat(filled)}${'·'.repeat(width - filled)}]`;
  const old = d.old === 0 ? '' : d.kind === 'remove' ? `  ${d.old} left` : `  old ${d.old}`;
  return `${d.id} ${d.appId} ${bar} ${d.ready}/${d.target} ready${old}  ${stateColor(d.state)}${d.message ? `  ${color.dim(d.message)}` : ''}`;
}

/** Follows a deployment until it ends: 0 when it succeeded, 1 when it failed or was cancelled, 5 on timeout. */
async function waitFor(
  nc: NatsConnection,
  deploymentId: string,
  opts: { timeout?: string; json?: boolean },
): Promise<number> {
  const deadline = Date.now() + parseDuration(opts.timeout ?? '15m', '--timeout');
  const tty = process.stderr.isTTY === true && !opts.json;
  let last = '';
  for (;;) {
    const { deployment: d } = await call(nc, { type: 'deployment', deploymentId });
    const line = progressLine(d);
    if (!opts.json && line !== last) process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
    last = line;
    const ended = d.state !== 'RUNNING' && d.state !== 'PAUSED';
    if (ended || Date.now() > deadline) {
      if (tty) process.stderr.write('\n');
      if (opts.json) printJson(d);
      if (!ended) {
        process.stderr.write(`timed out; deployment ${d.id} is still ${d.state}\n`);
        return EXIT.TIMEOUT;
      }
      return d.state === 'SUCCEEDED' ? EXIT.OK : EXIT.FAILED;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function readApp(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as Error).message}`, EXIT.USAGE);
  }
  let raw: unknown;
  try {
    raw = parseAppText(text, file);
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.USAGE);
  }
  const v = validateApp(raw);
  if (!v.ok)
    throw new CliError(
      `${file} is not a valid app definition:\n${v.issues.map((i) => `  ${i.field}: ${i.message}`).join('\n')}`,
      EXIT.USAGE,
    );
  return raw;
}

type Opts = {
  nats?: string;
  json?: boolean;
  wait?: boolean;
  timeout?: string;
  force?: boolean;
  all?: boolean;
  app?: string;
};

/** Prints the reply, then follows the deployment when --wait was given. */
async function report(nc: NatsConnection, o: Opts, reply: { deploymentId?: string }, text: string): Promise<number> {
  if (o.wait && reply.deploymentId) {
    if (!o.json) process.stderr.write(`${text}\n`);
    return waitFor(nc, reply.deploymentId, o);
  }
  if (o.json) printJson(reply);
  else process.stdout.write(`${text}\n`);
  return EXIT.OK;
}

function printApp(a: AppDetail): void {
  const out = (s = '') => process.stdout.write(`${s}\n`);
  out(
    `${color.bold(a.id)}  version ${a.version}  ${a.ready}/${a.instances} ready  ${a.running} running  ${a.staging} staging`,
  );
  if (a.waiting) out(color.yellow(a.waiting));
  if (a.delayedUntil)
    out(color.yellow(`launches delayed by crash backoff until ${new Date(a.delayedUntil).toISOString()}`));
  if (a.deployment) out(`deployment: ${progressLine(a.deployment)}`);
  if (a.autoscale) {
    const s = a.autoscale;
    out(
      `autoscale: ${s.min}–${s.max} instances, ${s.metric} target ${s.target}, stabilization ${s.stabilizationSeconds} s — ${s.status}`,
    );
    if (s.lastDecision && s.lastDecision.message !== s.status)
      out(`  last: ${s.lastDecision.message} (${new Date(s.lastDecision.at).toISOString()})`);
  }
  for (const v of a.volumes ?? []) {
    out(
      `volume ${v.persistenceId}: ${v.containerPath} ${v.sizeMb} MB on ${v.hostname} — ${v.destroying ? color.yellow('destroying') : v.instanceId ? `held by ${v.instanceId}` : 'free (the next instance goes there)'}`,
    );
  }
  const secrets = Object.entries(a.definition.secrets ?? {});
  if (secrets.length > 0) out(`secrets: ${secrets.map(([env, name]) => `${env}=<secret:${name}>`).join(' ')}`);
  const files = Object.entries(a.definition.secretFiles ?? {});
  if (files.length > 0) out(`secret files: ${files.map(([path, name]) => `${path}=<secret:${name}>`).join(' ')}`);
  if (a.definition.loadBalancer)
    out(
      `load balancer: port ${a.definition.loadBalancer.port} (${a.definition.loadBalancer.mode}) on every agora lb host`,
    );
  out(
    `endpoints: ${a.endpoints.length ? a.endpoints.map((e) => (e.ports.length > 0 ? `${e.host}:${e.ports.join(',')}` : e.host)).join(' ') : '-'}`,
  );
  if (appIdDnsProblems(a.id).length === 0) {
    const name = appDnsName(a.id);
    out(
      `dns: ${name}.${a.definition.ports.length > 0 ? `  SRV _port0._tcp.${name}.${a.definition.ports.length > 1 ? ` … _port${a.definition.ports.length - 1}` : ''}` : ''}`,
    );
  }
  out();
  printTable(a.instanceList, [
    { header: 'INSTANCE', get: (i) => i.instanceId },
    { header: 'VERSION', get: (i) => i.version, align: 'right' },
    { header: 'STATE', get: (i) => (i.draining ? color.yellow('DRAINING') : stateColor(i.state)) },
    {
      header: 'HEALTH',
      get: (i) =>
        i.healthy === undefined
          ? i.ready
            ? 'ready'
            : '-'
          : i.healthy
            ? color.green('healthy')
            : color.red('unhealthy'),
    },
    { header: 'HOST', get: (i) => i.hostname },
    { header: 'PORTS', get: (i) => i.ports.join(',') || '-' },
    { header: 'AGENT', get: (i) => i.agentId },
  ]);
}

function printDeployments(list: DeploymentView[]): void {
  printTable(list, [
    { header: 'ID', get: (d) => d.id },
    { header: 'APP', get: (d) => d.appId },
    { header: 'KIND', get: (d) => d.kind },
    { header: 'STATE', get: (d) => stateColor(d.state) },
    { header: 'VERSION', get: (d) => `${d.fromVersion ?? '-'} → ${d.toVersion}` },
    { header: 'READY', get: (d) => `${d.ready}/${d.target}`, align: 'right' },
    { header: 'OLD', get: (d) => d.old, align: 'right' },
    { header: 'STARTED', get: (d) => new Date(d.createdAt).toISOString() },
    { header: 'MESSAGE', get: (d) => d.message ?? '' },
  ]);
}

const withWait = (c: Command) =>
  c
    .option('--wait', 'follow the deployment (healthy of target) until it ends; exit 1 if it fails')
    .option('--timeout <duration>', 'with --wait: give up after this long (exit 5)', '15m');
const common = (c: Command) => {
  natsOption(c);
  jsonOption(c);
  return c;
};

export function registerAppCommands(program: Command): void {
  const app = program
    .command('app')
    .description('long-running apps (the service framework): deploy, scale, restart, remove, inspect');

  const deploy = common(
    withWait(
      app
        .command('deploy <file>')
        .description('create or change an app from a JSON or YAML definition (a rolling deployment)')
        .option('--force', 'replace a deployment of the app that is still running'),
    ),
  );
  examples(deploy, [
    'agora app deploy cart.json --wait',
    'agora app deploy cart.yaml --force',
    'agora app deploy cart.json --json',
  ]);
  deploy.action(
    action(async (file: string, o: Opts) => {
      const def = readApp(file);
      return withNats(o, async (nc) => {
        const r = await call(nc, { type: 'deploy', app: def, force: o.force });
        if (r.unchanged) return report(nc, o, r, `${(def as { id: string }).id}: unchanged (version ${r.version})`);
        return report(nc, o, r, `${(def as { id: string }).id}: version ${r.version}, deployment ${r.deploymentId}`);
      });
    }),
  );

  const list = common(app.command('list').description('every app with instances ready/wanted and why any wait'));
  examples(list, ['agora app list', 'agora app list --json | jq ".[].id"']);
  list.action(
    action(async (o: Opts) =>
      withNats(o, async (nc) => {
        const { apps } = await call(nc, { type: 'list' });
        if (o.json) return printJson(apps);
        printTable(apps, [
          { header: 'APP', get: (a) => a.id },
          { header: 'VERSION', get: (a) => a.version, align: 'right' },
          { header: 'READY', get: (a) => `${a.ready}/${a.instances}`, align: 'right' },
          { header: 'RUNNING', get: (a) => a.running, align: 'right' },
          { header: 'DEPLOYMENT', get: (a) => a.deploymentId ?? '-' },
          { header: 'WAITING', get: (a) => a.waiting ?? '' },
        ]);
      }),
    ),
  );

  const show = common(
    app
      .command('show <appId>')
      .description('instances, health, version, placement, endpoints and the current deployment'),
  );
  examples(show, ['agora app show /shop/cart', 'agora app show /shop/cart --json | jq .endpoints']);
  show.action(
    action(async (appId: string, o: Opts) =>
      withNats(o, async (nc) => {
        const { app: a } = await call(nc, { type: 'show', appId });
        if (o.json) printJson(a);
        else printApp(a);
      }),
    ),
  );

  const scale = common(
    withWait(
      app
        .command('scale <appId> <instances>')
        .description('change the number of instances (same version); refused for an autoscaled app')
        .option('--force', 'replace a deployment of the app that is still running'),
    ),
  );
  examples(scale, ['agora app scale /shop/cart 5 --wait', 'agora app scale /shop/cart 0   # suspend']);
  scale.action(
    action(async (appId: string, n: string, o: Opts) => {
      const instances = Number(n);
      if (!Number.isInteger(instances) || instances < 0)
        throw new CliError(`instances: '${n}' must be a whole number ≥ 0`, EXIT.USAGE);
      return withNats(o, async (nc) => {
        const r = await call(nc, { type: 'scale', appId, instances, force: o.force });
        return report(
          nc,
          o,
          r,
          r.deploymentId
            ? `${appId}: scaling to ${instances}, deployment ${r.deploymentId}`
            : `${appId}: already ${instances}`,
        );
      });
    }),
  );

  const suspend = common(
    withWait(
      app
        .command('suspend <appId>')
        .description('scale to 0 instances (the app and its definition stay; scale up again to resume)')
        .option('--force', 'replace a deployment of the app that is still running'),
    ),
  );
  examples(suspend, ['agora app suspend /shop/cart --wait', 'agora app scale /shop/cart 3   # resume']);
  suspend.action(
    action(async (appId: string, o: Opts) =>
      withNats(o, async (nc) => {
        const r = await call(nc, { type: 'scale', appId, instances: 0, force: o.force });
        return report(
          nc,
          o,
          r,
          r.deploymentId ? `${appId}: suspending, deployment ${r.deploymentId}` : `${appId}: already suspended`,
        );
      }),
    ),
  );

  const restart = common(
    withWait(
      app
        .command('restart <appId>')
        .description('rolling restart: every instance replaced, same definition, by the upgrade strategy')
        .option('--force', 'replace a deployment of the app that is still running'),
    ),
  );
  examples(restart, ['agora app restart /shop/cart --wait']);
  restart.action(
    action(async (appId: string, o: Opts) =>
      withNats(o, async (nc) => {
        const r = await call(nc, { type: 'restart', appId, force: o.force });
        return report(nc, o, r, `${appId}: restarting as version ${r.version}, deployment ${r.deploymentId}`);
      }),
    ),
  );

  const remove = common(withWait(app.command('remove <appId>').description('kill every instance and forget the app')));
  examples(remove, ['agora app remove /shop/cart --wait']);
  remove.action(
    action(async (appId: string, o: Opts) =>
      withNats(o, async (nc) => {
        const r = await call(nc, { type: 'remove', appId });
        return report(nc, o, r, `${appId}: removing, deployment ${r.deploymentId}`);
      }),
    ),
  );

  const endpoints = common(app.command('endpoints [appId]').description('host:port of every ready instance, per app'));
  examples(endpoints, ['agora app endpoints /shop/cart', 'agora app endpoints --json']);
  endpoints.action(
    action(async (appId: string | undefined, o: Opts) =>
      withNats(o, async (nc) => {
        const r = await call(nc, { type: 'endpoints', ...(appId ? { appId } : {}) });
        if (o.json) return printJson(r.endpoints);
        for (const e of r.endpoints)
          process.stdout.write(
            `${e.appId}  ${e.endpoints.map((x) => `${x.host}:${x.ports.join(',')}`).join(' ') || '-'}\n`,
          );
      }),
    ),
  );

  const deployments = common(
    program
      .command('deployments')
      .description('running deployments (with --all, the finished ones too)')
      .option('--app <appId>', 'only this app')
      .option('--all', 'include finished deployments'),
  );
  examples(deployments, ['agora deployments', 'agora deployments --all --app /shop/cart']);
  deployments.action(
    action(async (o: Opts) =>
      withNats(o, async (nc) => {
        const r = await call(nc, { type: 'deployments', ...(o.app ? { appId: o.app } : {}), all: o.all === true });
        if (o.json) printJson(r.deployments);
        else printDeployments(r.deployments);
      }),
    ),
  );

  const deployment = program.command('deployment').description('one deployment: show, watch or cancel');
  const dshow = common(
    withWait(deployment.command('show <id>').description("a deployment's progress (with --wait: follow it)")),
  );
  examples(dshow, ['agora deployment show d-1a2b3c4d', 'agora deployment show d-1a2b3c4d --wait']);
  dshow.action(
    action(async (id: string, o: Opts) =>
      withNats(o, async (nc) => {
        if (o.wait) return waitFor(nc, id, o);
        const { deployment: d } = await call(nc, { type: 'deployment', deploymentId: id });
        if (o.json) printJson(d);
        else process.stdout.write(`${progressLine(d)}\n`);
      }),
    ),
  );
  const cancel = common(
    withWait(
      deployment
        .command('cancel <id>')
        .description('stop a deployment and roll back to the previous version (a first deployment: remove the app)'),
    ),
  );
  examples(cancel, ['agora deployment cancel d-1a2b3c4d', 'agora deployment cancel d-1a2b3c4d --wait']);
  cancel.action(
    action(async (id: string, o: Opts) =>
      withNats(o, async (nc) => {
        const r = await call(nc, { type: 'cancel', deploymentId: id });
        return report(
          nc,
          o,
          { deploymentId: r.rollbackDeploymentId },
          `${id}: cancelled${r.rollbackDeploymentId ? `, rolling back with ${r.rollbackDeploymentId}` : ''}`,
        );
      }),
    ),
  );
}
