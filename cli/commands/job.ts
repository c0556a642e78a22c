/**
 * `agora job …`: submit, inspect and run the cron framework's batch jobs. Talks to the cron framework over its
 * NATS API (`agora.v1.api.cron`, shapes in sdk/jobs.ts) and reads run output through the master's HTTP API.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import YAML from 'yaml';
import { ApiError, request, type NatsConnection } from 'agora/sdk';
import {
  CRON_API_SUBJECT,
  isFinalRunState,
  renderJobGraph,
  type CronReplies,
  type CronRequest,
  type JobDetail,
  type JobSpecInput,
  type JobSummary,
  type RunView,
} from 'agora/sdk/cron';
import {
  action,
  collectKeyValue,
  color,
  examples,
  httpJson,
  jsonOption,
  masterOption,
  natsOption,
  printJson,
  printTable,
  stateColor,
  withNats,
  CliError,
  EXIT,
} from '../common';

type Opts = { nats?: string; master?: string; json?: boolean };

async function cron<K extends keyof CronReplies>(
  nc: NatsConnection,
  req: CronRequest & { type: K },
): Promise<CronReplies[K]> {
  try {
    return await request<CronReplies[K]>(nc, CRON_API_SUBJECT, req, { timeoutMs: 5000 });
  } catch (e) {
    if (e instanceof ApiError && e.code === 'UNAVAILABLE') {
      throw new CliError('the cron framework does not answer (is it running? `agora up` starts it)', EXIT.UNAVAILABLE);
    }
    throw e;
  }
}

// ---- formatting ------------------------------------------------------------------------------------------

function span(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}
const relative = (at: number, now = Date.now()) => (at >= now ? `in ${span(at - now)}` : `${span(now - at)} ago`);
const when = (at: number | undefined) =>
  at === undefined
    ? '-'
    : `${new Date(at)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')} (${relative(at)})`;
const scheduleText = (j: { schedule?: string; timezone: string; parents: string[] }) =>
  j.schedule
    ? `${j.schedule}${j.timezone === 'UTC' ? '' : ` ${j.timezone}`}`
    : j.parents.length
      ? `after ${j.parents.join(' & ')}`
      : 'on demand';
const lastRunText = (r: RunView | undefined) => {
  if (!r) return '-';
  const exit =
    r.exitCode !== undefined ? ` exit ${r.exitCode}` : r.reason && r.state !== 'SUCCEEDED' ? ` ${r.reason}` : '';
  return `${stateColor(r.state)}${exit} ${color.dim(relative(r.endedAt ?? r.startedAt ?? r.scheduledAt))}`;
};
const successRate = (j: JobSummary) =>
  j.finished === 0 ? '-' : `${Math.round((100 * j.succeeded) / j.finished)}% (${j.succeeded}/${j.finished})`;

function printRuns(runs: RunView[]): void {
  printTable(runs, [
    { header: 'RUN', get: (r) => r.id, align: 'right' },
    { header: 'SLOT', get: (r) => new Date(r.scheduledAt).toISOString() },
    { header: 'TRIGGER', get: (r) => r.trigger },
    { header: 'ATTEMPT', get: (r) => r.attempt, align: 'right' },
    { header: 'STATE', get: (r) => stateColor(r.state) },
    { header: 'EXIT', get: (r) => r.exitCode, align: 'right' },
    {
      header: 'DURATION',
      get: (r) => (r.startedAt !== undefined ? span((r.endedAt ?? Date.now()) - r.startedAt) : undefined),
      align: 'right',
    },
    { header: 'AGENT', get: (r) => r.agentId },
    { header: 'NOTIFIED', get: (r) => notifiedText(r) },
    {
      header: 'REASON',
      get: (r) => (r.reason && r.reason !== 'EXITED' ? `${r.reason}${r.message ? `: ${r.message}` : ''}` : undefined),
    },
  ]);
}

/** `2 delivered`, `1 pending, 1 failed`: the notifications of a run in a few words. */
function notifiedText(r: RunView): string | undefined {
  if (!r.notifications?.length) return undefined;
  const counts = new Map<string, number>();
  for (const n of r.notifications) counts.set(n.state, (counts.get(n.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state.toLowerCase()}`).join(', ');
}

/** One run in full: its fields, parameters, and each notification with every delivery attempt. */
function printRun(r: RunView): void {
  const line = (k: string, v: unknown) => {
    if (v !== undefined && v !== '') process.stdout.write(`${color.bold(k.padEnd(12))} ${String(v)}\n`);
  };
  line('run', `${r.id} of ${r.job} (attempt ${r.attempt}, ${r.trigger})`);
  line(
    'state',
    `${stateColor(r.state)}${r.exitCode !== undefined ? ` exit ${r.exitCode}` : ''}${r.reason && r.reason !== 'EXITED' ? ` ${r.reason}` : ''}${r.message ? `: ${r.message}` : ''}`,
  );
  line('slot', new Date(r.scheduledAt).toISOString());
  line('started', r.startedAt === undefined ? undefined : when(r.startedAt));
  line('ended', r.endedAt === undefined ? undefined : when(r.endedAt));
  line('agent', r.agentId);
  line('task', r.taskId);
  line(
    'parameters',
    Object.entries(r.parameters ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  );
  for (const n of r.notifications ?? []) {
    line(
      'notify',
      `${n.event} → ${n.target.webhook ?? `nats ${n.target.subject}`}: ${n.state}${n.nextAt !== undefined ? ` (next try ${relative(n.nextAt)})` : ''}`,
    );
    for (const a of n.attempts) {
      process.stdout.write(
        `${' '.repeat(15)}${new Date(a.at).toISOString()} ${a.ok ? color.green('ok') : color.red('failed')}${a.status !== undefined ? ` ${a.status}` : ''}${a.error ? ` ${a.error}` : ''}\n`,
      );
    }
  }
}

function printDetail(d: JobDetail): void {
  const s = d.spec;
  const line = (k: string, v: unknown) => {
    if (v !== undefined && v !== '') process.stdout.write(`${color.bold(k.padEnd(12))} ${String(v)}\n`);
  };
  line('name', s.name + (s.disabled ? color.yellow(' (disabled)') : ''));
  line('description', s.description);
  line('schedule', scheduleText(s));
  line('command', s.cmd ?? JSON.stringify(s.args));
  line('container', s.container?.type === 'DOCKER' ? s.container.image : undefined);
  line('resources', `cpus ${s.cpus}, mem ${s.mem} MB${s.disk ? `, disk ${s.disk} MB` : ''}`);
  line('retries', `${s.retries} (backoff ${s.backoff.initial} ×${s.backoff.factor}, max ${s.backoff.max})`);
  line('epsilon', s.epsilon);
  line('timeout', s.timeout);
  line('concurrency', s.concurrencyPolicy);
  line('children', d.children.join(', '));
  line(
    'parameters',
    s.parameters
      .map((p) => `${p.name}${p.default !== undefined ? `=${p.default}` : ''}${p.required ? ' (required)' : ''}`)
      .join(' '),
  );
  for (const n of s.notify) line('notify', `${n.on.join(',')} → ${n.webhook ?? `nats ${n.subject}`}`);
  line('owner', s.owner);
  line(
    'labels',
    Object.entries(s.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  );
  line('success', successRate(d.summary));
  line('last run', d.summary.lastRun ? `#${d.summary.lastRun.id} ${lastRunText(d.summary.lastRun)}` : '-');
  line('next runs', d.nextRuns.length ? d.nextRuns.map((t) => when(t)).join('\n' + ' '.repeat(13)) : '-');
}

// ---- submit ----------------------------------------------------------------------------------------------

function readJobFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as Error).message}`, EXIT.USAGE);
  }
  try {
    const value = /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected one job object');
    return value as Record<string, unknown>;
  } catch (e) {
    throw new CliError(`${file}: not a job definition: ${(e as Error).message}`, EXIT.USAGE);
  }
}

const num = (flag: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CliError(`${flag}: '${v}' is not a number`, EXIT.USAGE);
  return n;
};

/** The job from a file and/or flags; flags win. One command word runs under /bin/sh -c, several as argv. */
function jobFrom(operands: string[], o: Record<string, any>): JobSpecInput {
  const inline = o.name !== undefined;
  if (!inline && operands.length !== 1)
    throw new CliError('give a job file (agora job submit job.json) or --name and a command after --', EXIT.USAGE);
  const base = inline ? {} : readJobFile(operands[0]!);
  const command = inline ? operands : [];
  const flags: Record<string, unknown> = {
    name: o.name,
    schedule: o.schedule,
    timezone: o.tz,
    cpus: num('--cpus', o.cpus),
    mem: num('--mem', o.mem),
    disk: num('--disk', o.disk),
    retries: num('--retries', o.retries),
    backoff: o.backoff ? { ...(base.backoff as object), initial: o.backoff } : undefined,
    epsilon: o.epsilon,
    timeout: o.timeout,
    concurrencyPolicy: o.concurrency,
    owner: o.owner,
    description: o.description,
    env: Object.keys(o.env).length ? { ...(base.env as object), ...o.env } : undefined,
    parents: o.parent.length ? o.parent : undefined,
    disabled: o.disabled ? true : undefined,
    container: o.image ? { type: 'DOCKER', image: o.image } : undefined,
    ...(command.length === 1 ? { cmd: command[0] } : command.length > 1 ? { args: command } : {}),
  };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) base[k] = v;
  return base as JobSpecInput;
}

// ---- run --wait ------------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Copies new output of a run's task to ours; returns the offsets reached. Missing files (not started yet) are skipped. */
async function copyOutput(
  o: Opts,
  taskId: string,
  offsets: { stdout: number; stderr: number },
  files: ('stdout' | 'stderr')[] = ['stdout', 'stderr'],
): Promise<void> {
  for (const file of files) {
    for (;;) {
      let r: { data: string; eof: boolean };
      try {
        r = await httpJson<{ data: string; eof: boolean }>(
          o,
          'GET',
          `/api/v1/tasks/${encodeURIComponent(taskId)}/files/read?path=${file}&offset=${offsets[file]}&length=65536`,
        );
      } catch (e) {
        if (e instanceof CliError && e.exitCode === EXIT.UNAVAILABLE) throw e;
        break;
      }
      if (r.data.length > 0) (file === 'stdout' ? process.stdout : process.stderr).write(r.data);
      offsets[file] += Buffer.byteLength(r.data);
      if (r.eof || r.data.length === 0) break;
    }
  }
}

/** Follows a run (and its retries) to the end, streaming state changes to stderr and output to stdout. */
async function waitForRun(
  nc: NatsConnection,
  o: Opts & { quiet?: boolean },
  name: string,
  first: RunView,
  retries: number,
): Promise<RunView> {
  const say = (s: string) => {
    if (!o.quiet && !o.json) process.stderr.write(`${color.dim('agora:')} ${s}\n`);
  };
  let run = first;
  let lastState = '';
  let offsets = { stdout: 0, stderr: 0 };
  let outputUnreadable = false;
  for (;;) {
    if (run.state !== lastState) {
      say(`run ${run.id} (attempt ${run.attempt}) ${stateColor(run.state)}${run.agentId ? ` on ${run.agentId}` : ''}`);
      lastState = run.state;
    }
    if (run.taskId && !o.json && !outputUnreadable) {
      await copyOutput(o, run.taskId, offsets).catch((e) => {
        if (!(e instanceof CliError)) throw e;
        outputUnreadable = true; // keep following the state; say once why there is no output
        say(`${color.yellow("cannot read the run's output:")} ${e.message}`);
      });
    }
    if (isFinalRunState(run.state)) {
      if (run.state === 'FAILED' && run.attempt <= retries) {
        const next = await nextAttempt(nc, name, run);
        if (next) {
          say(
            `failed (${run.reason}${run.exitCode !== undefined ? `, exit ${run.exitCode}` : ''}); retry ${next.attempt} due ${relative(next.dueAt)}`,
          );
          run = next;
          offsets = { stdout: 0, stderr: 0 };
          lastState = '';
          continue;
        }
      }
      return run;
    }
    await sleep(250);
    run = (await cron(nc, { type: 'getRun', name, runId: run.id })).run;
  }
}

async function nextAttempt(nc: NatsConnection, name: string, run: RunView): Promise<RunView | undefined> {
  for (let i = 0; i < 20; i++) {
    const { runs } = await cron(nc, { type: 'history', name, limit: 50 });
    const next = runs.find((r) => r.id > run.id && r.scheduledAt === run.scheduledAt && r.attempt === run.attempt + 1);
    if (next) return next;
    await sleep(100);
  }
  return undefined;
}

function collectParam(value: string, previous: Record<string, string>): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0) throw new CliError(`--param '${value}': expected NAME=VALUE`, EXIT.USAGE);
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

const exitCodeOf = (r: RunView) =>
  r.state === 'SUCCEEDED' ? 0 : r.exitCode !== undefined && r.exitCode !== 0 ? r.exitCode : EXIT.FAILED;

// ---- commands --------------------------------------------------------------------------------------------

export function registerJobCommands(program: Command): void {
  const job = program.command('job').description('batch jobs of the cron framework: scheduled, retried, dependent');
  examples(job, [
    'agora job submit nightly.json',
    "agora job submit --name nightly --schedule '0 2 * * *' --tz Europe/Paris --cpus 0.5 --mem 256 -- ./backup.sh",
    'agora job list',
    'agora job run nightly --wait',
  ]);
  const common = (c: Command) => jsonOption(masterOption(natsOption(c)));

  const submit = common(
    job
      .command('submit')
      .description('create or replace a job from a JSON/YAML file (- for stdin) or from flags')
      .argument(
        '[file-or-command...]',
        'a job file, or (with --name) the command after --: one word runs under /bin/sh -c, several as argv',
      )
      .option('--name <name>', 'job name (inline definition)')
      .option(
        '--schedule <cron|R/…>',
        "cron ('0 2 * * *', '*/10 * * * * *', @daily) or ISO 8601 'R/2026-01-01T00:00:00Z/PT1H'",
      )
      .option('--tz <zone>', 'IANA time zone of the schedule (default UTC)')
      .option('--cpus <n>')
      .option('--mem <mb>')
      .option('--disk <mb>')
      .option('--env <K=V>', 'environment variable (repeatable)', collectKeyValue, {})
      .option('--retries <n>')
      .option('--backoff <iso-duration>', 'delay before the first retry (PT10S), doubling after')
      .option('--epsilon <iso-duration>', 'how late a run may start (PT1M)')
      .option('--timeout <iso-duration>', 'kill and fail a run after this long (PT1H)')
      .option('--concurrency <policy>', 'Allow | Forbid | Replace')
      .option(
        '--parent <job>',
        'run after this job succeeded (repeatable)',
        (v: string, p: string[]) => [...p, v],
        [] as string[],
      )
      .option('--image <image>', 'run in this Docker image')
      .option('--owner <who>')
      .option('--description <text>')
      .option('--disabled', 'submit disabled'),
  );
  examples(submit, [
    'agora job submit job.json',
    "agora job submit --name nightly --schedule '0 2 * * *' --tz Europe/Paris --cpus 0.5 --mem 256 -- ./backup.sh",
    "agora job submit --name report --parent extract --parent load -- sh -c 'make report'",
    "agora job submit --name tick --schedule 'R/2026-01-01T00:00:00Z/PT30S' -- date",
  ]);
  submit.action(
    action(async (operands: string[], o) =>
      withNats(o, async (nc) => {
        const r = await cron(nc, { type: 'submit', job: jobFrom(operands, o) });
        if (o.json) return printJson(r);
        const next = r.job.nextRuns[0];
        process.stdout.write(
          `job ${r.job.spec.name} ${r.created ? 'created' : 'updated'}${next ? `; next run ${when(next)}` : ''}\n`,
        );
      }),
    ),
  );

  const list = common(
    job.command('list').alias('ls').description('jobs with schedule, next run, last run and success rate'),
  );
  examples(list, ['agora job list', 'agora job list --json | jq \'.[] | select(.lastRun.state == "FAILED") | .name\'']);
  list.action(
    action(async (o) =>
      withNats(o, async (nc) => {
        const { jobs } = await cron(nc, { type: 'list' });
        if (o.json) return printJson(jobs);
        if (jobs.length === 0) {
          process.stdout.write('no jobs yet (agora job submit --help)\n');
          return;
        }
        printTable(jobs, [
          { header: 'NAME', get: (j) => (j.disabled ? `${j.name} ${color.yellow('(disabled)')}` : j.name) },
          { header: 'SCHEDULE', get: (j) => scheduleText(j) },
          { header: 'NEXT RUN', get: (j) => (j.nextRunAt !== undefined ? relative(j.nextRunAt) : undefined) },
          { header: 'LAST RUN', get: (j) => lastRunText(j.lastRun) },
          { header: 'SUCCESS', get: (j) => successRate(j), align: 'right' },
          { header: 'ACTIVE', get: (j) => j.activeRuns, align: 'right' },
        ]);
      }),
    ),
  );

  const show = common(
    job
      .command('show')
      .description(
        "a job's definition, next runs and last run; with --run, one run with its parameters and notifications",
      )
      .argument('<name>')
      .option('--run <id>', 'show this run (its parameters, notifications and each delivery attempt)'),
  );
  examples(show, ['agora job show nightly', 'agora job show nightly --json', 'agora job show nightly --run 42']);
  show.action(
    action(async (name: string, o) =>
      withNats(o, async (nc) => {
        if (o.run !== undefined) {
          const { run: r } = await cron(nc, { type: 'getRun', name, runId: num('--run', o.run) });
          return o.json ? printJson(r) : printRun(r);
        }
        const { job: d } = await cron(nc, { type: 'show', name });
        if (o.json) return printJson(d);
        printDetail(d);
      }),
    ),
  );

  const run = common(
    job
      .command('run')
      .description('run a job now; with --wait, follow it and exit with its exit code')
      .argument('<name>')
      .option(
        '--param <NAME=VALUE>',
        'a declared parameter, passed to the run as an environment variable (repeatable)',
        collectParam,
        {},
      )
      .option('--wait', "stream the run's state and output, follow its retries, exit with its exit code")
      .option('--quiet', 'with --wait: no state lines on stderr'),
  );
  examples(run, [
    'agora job run nightly',
    'agora job run nightly --wait && echo ok',
    'agora job run nightly --param DATE=2026-12-01 --param MODE=full --wait',
  ]);
  run.action(
    action(async (name: string, o) =>
      withNats(o, async (nc) => {
        const { job: d } = await cron(nc, { type: 'show', name });
        const started = (await cron(nc, { type: 'run', name, parameters: o.param })).run;
        if (!o.wait) {
          if (o.json) printJson(started);
          else process.stdout.write(`run ${started.id} of ${name} queued\n`);
          return;
        }
        const final = await waitForRun(nc, o, name, started, d.spec.retries);
        if (o.json) printJson(final);
        return exitCodeOf(final);
      }),
    ),
  );

  const history = common(
    job
      .command('history')
      .description("a job's runs, newest first")
      .argument('<name>')
      .option('--limit <n>', 'how many', '20'),
  );
  examples(history, ['agora job history nightly', 'agora job history nightly --limit 100 --json']);
  history.action(
    action(async (name: string, o) =>
      withNats(o, async (nc) => {
        const { runs } = await cron(nc, { type: 'history', name, limit: num('--limit', o.limit) ?? 20 });
        if (o.json) return printJson(runs);
        if (runs.length === 0) process.stdout.write(`job ${name} has not run yet\n`);
        else printRuns(runs);
      }),
    ),
  );

  const logs = common(
    job
      .command('logs')
      .description("output of a job's run (the newest by default)")
      .argument('<name>')
      .option('--run <id>', 'this run')
      .option('--stderr', 'stderr instead of stdout')
      .option('--follow', 'keep printing until the run ends'),
  );
  examples(logs, [
    'agora job logs nightly',
    'agora job logs nightly --run 42 --stderr',
    'agora job logs nightly --follow',
  ]);
  logs.action(
    action(async (name: string, o) =>
      withNats(o, async (nc) => {
        let p = await cron(nc, { type: 'logs', name, runId: num('--run', o.run) });
        if (o.json) return printJson(p);
        while (o.follow && !p.taskId && !isFinalRunState(p.run.state)) {
          // queued: wait for it to start
          await sleep(300);
          p = await cron(nc, { type: 'logs', name, runId: p.run.id });
        }
        if (!p.taskId)
          throw new CliError(
            `run ${p.run.id} of ${name} never started (${p.run.state}${p.run.reason ? `, ${p.run.reason}` : ''}): it has no output`,
            EXIT.NOT_FOUND,
          );
        const offsets = { stdout: 0, stderr: 0 };
        const file: 'stdout' | 'stderr' = o.stderr ? 'stderr' : 'stdout';
        for (;;) {
          const ended = isFinalRunState(p.run.state);
          await copyOutput(o, p.taskId!, offsets, [file]);
          if (!o.follow || ended) return;
          await sleep(300);
          p = await cron(nc, { type: 'logs', name, runId: p.run.id });
        }
      }),
    ),
  );

  for (const [verb, what] of [
    ['enable', 'resume scheduling (slots from now on)'],
    ['disable', 'stop scheduling (running runs continue)'],
    ['remove', 'delete the job (kills its active runs, keeps history)'],
  ] as const) {
    const c = examples(common(job.command(verb).description(what).argument('<name>')), [`agora job ${verb} nightly`]);
    c.action(
      action(async (name: string, o) =>
        withNats(o, async (nc) => {
          const r = await cron(nc, { type: verb, name });
          if (o.json) return printJson(r);
          process.stdout.write(
            verb === 'remove'
              ? `job ${name} removed${(r as CronReplies['remove']).killed.length ? `; killed runs ${(r as CronReplies['remove']).killed.join(', ')}` : ''}\n`
              : `job ${name} ${verb}d\n`,
          );
        }),
      ),
    );
  }

  const kill = common(job.command('kill').description('kill one active run').argument('<name>').argument('<run-id>'));
  examples(kill, ['agora job history nightly    # find the run id', 'agora job kill nightly 42']);
  kill.action(
    action(async (name: string, runId: string, o) =>
      withNats(o, async (nc) => {
        const r = await cron(nc, { type: 'kill', name, runId: num('run-id', runId)! });
        if (o.json) return printJson(r);
        process.stdout.write(`run ${runId} of ${name}: kill requested\n`);
      }),
    ),
  );

  const graph = common(job.command('graph').description('the dependency tree of all jobs, as text'));
  examples(graph, ['agora job graph']);
  graph.action(
    action(async (o) =>
      withNats(o, async (nc) => {
        const { jobs } = await cron(nc, { type: 'list' });
        if (o.json) return printJson(jobs.map((j) => ({ name: j.name, parents: j.parents })));
        process.stdout.write(`${renderJobGraph(jobs).join('\n')}\n`);
      }),
    ),
  );
}
