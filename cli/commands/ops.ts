/**
 * Operator commands over the master's HTTP API (docs/api.md):
 *
 *   agora agents                      agora agents drain <id> [--deadline 10m]   agora agents undrain <id>
 *   agora frameworks                  agora tasks [--state running]              agora task <id>
 *   agora logs <task-id> [--follow] [--stderr]                                   agora events [--types …]
 *
 * `agora agent` runs an agent daemon (a passthrough to bin/agora-agent), so maintenance lives under
 * `agora agents drain|undrain`; the same two subcommands are also attached to `agora agent`, where commander
 * dispatches `agora agent drain <id>` to them and hands anything else (`agora agent --nats …`) to the daemon.
 */
import type { Command } from 'commander';
import type { AgentView, FrameworkView, TaskView } from 'agora/sdk/operator';
import { authHeaders } from '../auth';
import {
  CliError,
  EXIT,
  action,
  color,
  examples,
  httpJson,
  jsonOption,
  masterOption,
  masterUrlOf,
  parseDuration,
  printJson,
  printTable,
  stateColor,
} from '../common';

const ago = (ms: number | undefined) => (ms ? `${Math.max(0, Math.round((Date.now() - ms) / 1000))}s ago` : '-');
const pair = (used: Record<string, number>, total: Record<string, number>, k: string) =>
  `${+(used[k] ?? 0).toFixed(2)}/${+(total[k] ?? 0).toFixed(2)}`;
const enc = encodeURIComponent;

export function registerAgentsCommands(program: Command): void {
  const agents = program.command('agents').description('agents of the cluster; drain and undrain them for maintenance');
  masterOption(agents);
  jsonOption(agents);
  examples(agents, [
    'agora agents',
    'agora agents --json | jq ".[].hostname"',
    'agora agents drain agent-7 --deadline 10m',
    'agora agents undrain agent-7',
  ]);
  agents.action(
    action(async (o) => {
      const { agents: list } = await httpJson<{ agents: AgentView[] }>(o, 'GET', '/api/v1/agents');
      if (o.json) return printJson(list);
      printTable(list, [
        { header: 'ID', get: (a) => a.id },
        { header: 'HOSTNAME', get: (a) => a.hostname },
        { header: 'STATE', get: (a) => stateColor(a.state) },
        { header: 'CPUS', get: (a) => pair(a.usedScalars, a.totalScalars, 'cpus'), align: 'right' },
        { header: 'MEM MB', get: (a) => pair(a.usedScalars, a.totalScalars, 'mem'), align: 'right' },
        { header: 'DISK MB', get: (a) => pair(a.usedScalars, a.totalScalars, 'disk'), align: 'right' },
        { header: 'TASKS', get: (a) => a.taskCount, align: 'right' },
        { header: 'HEARTBEAT', get: (a) => ago(a.lastHeartbeatAt) },
      ]);
    }),
  );
  addMaintenance(agents, 'agents');
  const agent = program.commands.find((c) => c.name() === 'agent');
  if (agent) addMaintenance(agent, 'agent');
}

function addMaintenance(parent: Command, word: string): void {
  // Subcommands inherit settings; `agora agent` turns its own --help off (it belongs to the daemon), so turn it back on.
  const drain = parent
    .command('drain <agent-id>')
    .helpOption('-h, --help', 'display help for command')
    .allowExcessArguments(false)
    .description('stop offering an agent; after the deadline kill the tasks still on it; it is DRAINED once empty')
    .option('--deadline <duration>', 'time frameworks get to move their tasks before they are killed', '10m');
  masterOption(drain);
  jsonOption(drain);
  examples(drain, [
    `agora ${word} drain agent-7`,
    `agora ${word} drain agent-7 --deadline 30s`,
    `agora ${word} drain agent-7 --deadline 0s   # kill now`,
  ]);
  drain.action(
    action(async (id: string, o) => {
      parseDuration(o.deadline, '--deadline');
      const a = await httpJson<AgentView & { drain?: { deadline: number } }>(
        o,
        'POST',
        `/api/v1/agents/${enc(id)}/drain`,
        { deadline: o.deadline },
      );
      if (o.json) return printJson(a);
      process.stdout.write(
        `agent ${a.hostname} (${a.id}): ${stateColor(a.state)}${a.drain && a.state !== 'DRAINED' ? `, tasks killed after ${new Date(a.drain.deadline).toISOString()}` : ''}\n`,
      );
    }),
  );
  const undrain = parent
    .command('undrain <agent-id>')
    .helpOption('-h, --help', 'display help for command')
    .allowExcessArguments(false)
    .description("end maintenance: offer the agent's resources again");
  masterOption(undrain);
  jsonOption(undrain);
  examples(undrain, [`agora ${word} undrain agent-7`]);
  undrain.action(
    action(async (id: string, o) => {
      const a = await httpJson<AgentView>(o, 'POST', `/api/v1/agents/${enc(id)}/undrain`, {});
      if (o.json) return printJson(a);
      process.stdout.write(`agent ${a.hostname} (${a.id}): ${stateColor(a.state)}\n`);
    }),
  );
}

export function registerFrameworksCommand(program: Command): void {
  const cmd = program.command('frameworks').description('frameworks: connection, roles, allocation, tasks');
  masterOption(cmd);
  jsonOption(cmd);
  examples(cmd, ['agora frameworks', 'agora frameworks --json']);
  cmd.action(
    action(async (o) => {
      const { frameworks } = await httpJson<{ frameworks: FrameworkView[] }>(o, 'GET', '/api/v1/frameworks');
      if (o.json) return printJson(frameworks);
      printTable(frameworks, [
        { header: 'ID', get: (f) => f.id },
        { header: 'NAME', get: (f) => f.name },
        { header: 'ROLES', get: (f) => f.roles.join(',') },
        {
          header: 'STATE',
          get: (f) =>
            f.connected
              ? color.green('connected')
              : color.red(
                  `failing over (${Math.max(0, Math.round(((f.failoverDeadline ?? 0) - Date.now()) / 1000))}s left)`,
                ),
        },
        { header: 'ALLOCATED', get: (f) => f.allocated || '-' },
        { header: 'TASKS', get: (f) => f.taskCount, align: 'right' },
      ]);
    }),
  );
}

export function registerTaskCommands(program: Command): void {
  const tasks = program
    .command('tasks')
    .description('tasks, newest first (live ones, then the completed ones the master remembers)')
    .option('--state <state>', 'only this state: running, finished, failed, TASK_KILLED…')
    .option('--framework <id>', 'only this framework')
    .option('--agent <id>', 'only this agent')
    .option('--name <text>', 'name or id contains')
    .option('--limit <n>', 'at most this many', '100')
    .option('--offset <n>', 'skip this many', '0');
  masterOption(tasks);
  jsonOption(tasks);
  examples(tasks, [
    'agora tasks',
    'agora tasks --state running',
    'agora tasks --framework service-1a2b --limit 20',
    'agora tasks --state failed --json',
  ]);
  tasks.action(
    action(async (o) => {
      const qs = new URLSearchParams();
      for (const k of ['state', 'framework', 'agent', 'name', 'limit', 'offset'] as const)
        if (o[k] !== undefined) qs.set(k, String(o[k]));
      const r = await httpJson<{ total: number; tasks: TaskView[] }>(o, 'GET', `/api/v1/tasks?${qs}`);
      if (o.json) return printJson(r);
      printTable(r.tasks, [
        { header: 'ID', get: (t) => t.id },
        { header: 'NAME', get: (t) => t.name },
        { header: 'STATE', get: (t) => stateColor(t.state.replace(/^TASK_/, '')) },
        { header: 'FRAMEWORK', get: (t) => t.frameworkId },
        { header: 'AGENT', get: (t) => t.hostname ?? t.agentId },
        { header: 'RESOURCES', get: (t) => t.resources },
        { header: 'UPDATED', get: (t) => ago(t.updatedAt) },
      ]);
      if (r.total > r.tasks.length)
        process.stderr.write(color.dim(`(${r.tasks.length} of ${r.total}; use --limit/--offset)\n`));
    }),
  );

  const task = program
    .command('task <task-id>')
    .description('one task: state, resources, usage, health and status history')
    .option('--framework <id>', 'the framework, when task ids repeat across frameworks');
  masterOption(task);
  jsonOption(task);
  examples(task, ['agora task web-1', 'agora task web-1 --framework service-1a2b --json']);
  task.action(
    action(async (id: string, o) => {
      const t = await httpJson<TaskView>(
        o,
        'GET',
        `/api/v1/tasks/${enc(id)}${o.framework ? `?framework=${enc(o.framework)}` : ''}`,
      );
      if (o.json) return printJson(t);
      const u = t.usage as
        | {
            cpuUserSeconds: number;
            cpuSystemSeconds: number;
            memBytes: number;
            diskUsedMb?: number;
            diskLimitMb?: number;
          }
        | undefined;
      const disk =
        u?.diskUsedMb === undefined
          ? ''
          : `, disk ${u.diskUsedMb.toFixed(1)}${u.diskLimitMb ? ` of ${u.diskLimitMb}` : ''} MB`;
      const rows: [string, unknown][] = [
        ['id', t.id],
        ['name', t.name],
        ['state', stateColor(t.state)],
        ['health', t.healthy === undefined ? '-' : t.healthy ? 'healthy' : 'unhealthy'],
        ['framework', t.frameworkId],
        ['agent', `${t.hostname ?? ''} (${t.agentId})`],
        ['role', t.role],
        ['resources', t.resources],
        ['container', t.container],
        ['command', t.command],
        ['reason', t.reason],
        ['message', t.message],
        ['exit code', t.exitCode],
        [
          'usage',
          u
            ? `cpu ${(u.cpuUserSeconds + u.cpuSystemSeconds).toFixed(2)} s, mem ${(u.memBytes / 1048576).toFixed(1)} MiB${disk}`
            : undefined,
        ],
      ];
      for (const [k, v] of rows) process.stdout.write(`${color.dim(k.padEnd(10))} ${v ?? '-'}\n`);
      process.stdout.write('\n');
      printTable(t.statuses, [
        { header: 'TIME', get: (s) => new Date(s.timestamp).toISOString() },
        { header: 'STATE', get: (s) => stateColor(s.state) },
        { header: 'REASON', get: (s) => s.reason },
        { header: 'MESSAGE', get: (s) => s.message },
      ]);
    }),
  );
}

export function registerLogsCommand(program: Command): void {
  const cmd = program
    .command('logs <task-id>')
    .description("a task's stdout (or stderr) from its sandbox, through the master's file API")
    .option('-f, --follow', 'keep printing what the task writes until it ends (Ctrl-C to stop)')
    .option('--stderr', 'stderr instead of stdout')
    .option('--tail <bytes>', 'start this many bytes before the end', undefined)
    .option('--framework <id>', 'the framework, when task ids repeat across frameworks');
  masterOption(cmd);
  examples(cmd, ['agora logs web-1', 'agora logs web-1 --follow', 'agora logs batch-7 --stderr --tail 4096']);
  cmd.action(
    action(async (id: string, o) => {
      const path = o.stderr ? 'stderr' : 'stdout';
      const tail = o.tail === undefined ? undefined : Number(o.tail);
      if (tail !== undefined && !(Number.isInteger(tail) && tail > 0))
        throw new CliError(`--tail: '${o.tail}' must be a positive number of bytes`, EXIT.USAGE);
      const fw = o.framework ? `&framework=${enc(o.framework)}` : '';
      let offset = tail === undefined ? 0 : -1;
      for (;;) {
        const length = offset === -1 ? tail! : 1024 * 1024;
        const r = await httpJson<{ offset: number; data: string; eof: boolean }>(
          o,
          'GET',
          `/api/v1/tasks/${enc(id)}/files/read?path=${path}&offset=${offset}&length=${length}${fw}`,
        );
        // Offsets count every byte the task wrote, across rotations (stdout, stdout.1 …): a gap is output rotated away.
        if (offset >= 0 && r.offset > offset)
          process.stderr.write(color.dim(`(${r.offset - offset} bytes before this were rotated away)\n`));
        process.stdout.write(r.data);
        offset = r.offset + Buffer.byteLength(r.data);
        if (!r.eof) continue;
        if (!o.follow) return;
        const t = await httpJson<TaskView>(
          o,
          'GET',
          `/api/v1/tasks/${enc(id)}${o.framework ? `?framework=${enc(o.framework)}` : ''}`,
        );
        if (/FINISHED|FAILED|KILLED|ERROR|LOST|DROPPED|GONE/.test(t.state)) {
          const last = await httpJson<{ data: string }>(
            o,
            'GET',
            `/api/v1/tasks/${enc(id)}/files/read?path=${path}&offset=${offset}&length=${1024 * 1024}${fw}`,
          );
          process.stdout.write(last.data);
          return;
        }
        await new Promise((res) => setTimeout(res, 500));
      }
    }),
  );
}

export function registerEventsCommand(program: Command): void {
  const cmd = program
    .command('events')
    .description("follow the cluster's events (server-sent events from /api/v1/events) until Ctrl-C")
    .option(
      '--types <list>',
      'only these, comma-separated: TASK_UPDATED,AGENT_ADDED,AGENT_UNREACHABLE,FRAMEWORK_ADDED,OFFERS_MADE…',
    );
  masterOption(cmd);
  jsonOption(cmd);
  examples(cmd, [
    'agora events',
    'agora events --types TASK_UPDATED',
    'agora events --json | jq -c "select(.type == \\"AGENT_UNREACHABLE\\")"',
  ]);
  cmd.action(
    action(async (o) => {
      const url = `${masterUrlOf(o)}/api/v1/events${o.types ? `?types=${enc(o.types)}` : ''}`;
      let res: Response;
      try {
        res = await fetch(url, { headers: { accept: 'text/event-stream', ...authHeaders(o) } });
      } catch {
        throw new CliError(
          `cannot reach the master at ${masterUrlOf(o)} (is the cluster up? set --master or AGORA_MASTER)`,
          EXIT.UNAVAILABLE,
        );
      }
      if (!res.ok)
        throw new CliError(
          ((await res.json().catch(() => ({}))) as { message?: string }).message ?? `${res.status}`,
          res.status === 400 ? EXIT.USAGE : res.status === 401 || res.status === 403 ? EXIT.DENIED : EXIT.FAILED,
        );
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          const type = /^event: (.*)$/m.exec(block)?.[1];
          if (type === 'hello') {
            process.stderr.write(color.dim(`following the events of ${JSON.parse(data).masterId} (Ctrl-C to stop)\n`));
            continue;
          }
          if (!data) continue;
          if (o.json) process.stdout.write(`${data}\n`);
          else process.stdout.write(`${describeEvent(JSON.parse(data))}\n`);
        }
      }
      throw new CliError('the master closed the event stream', EXIT.UNAVAILABLE);
    }),
  );
}

function describeEvent(e: { type: string; timestamp: number } & Record<string, any>): string {
  const at = color.dim(new Date(e.timestamp).toISOString());
  const what = e.task
    ? `${e.task.id} ${stateColor(e.task.state)}${e.task.reason ? ` (${e.task.reason})` : ''} on ${e.task.agentId}`
    : e.agent
      ? `${e.agent.hostname} (${e.agent.id})`
      : e.framework
        ? `${e.framework.name} (${e.framework.id})`
        : e.type === 'OFFERS_MADE'
          ? `${e.count} to ${e.frameworkId}`
          : e.type === 'OFFER_RESCINDED'
            ? `${e.offerId} from ${e.frameworkId}`
            : (e.role ?? '');
  return `${at} ${color.bold(e.type.padEnd(22))} ${what}`;
}
