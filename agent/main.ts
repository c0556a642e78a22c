/**
 * `agora agent` (bin/agora-agent): runs one agent on this host. Also exports `startAgent` for in-process use.
 *
 *   agora agent --nats nats://127.0.0.1:4222 --work-dir ./.agora/agent --attributes 'rack:r1'
 */
import { Command, InvalidArgumentError } from 'commander';
import { mkdirSync } from 'node:fs';
import * as os from 'node:os';
import { agentPrincipalName, connectNats, createLogger, resolveCredentials, handleProcessFailures, lockDataDir, parseDurationMs, Resources, stopOnSignals, type Logger, type NatsConnection } from '../sdk';
import { Agent } from './agent';
import { startAgentHttp } from './http';
import { Checkpoint } from './checkpoint';
import { DEFAULT_AGENT_CONFIG, type AgentConfig } from './config';
import { buildContainerizers } from './containerizers';
import { parseAttributes } from './host-resources';
import { parseTaskUserAcl } from './task-users';
import { parseHostVolumeAcl } from './host-volumes';
import { AgentHealthMonitor } from './health';
import { parseByteSize } from '../isolation';

export interface RunningAgent { agent: Agent; stop(opts?: { killTasks: boolean }): Promise<void> }

export async function startAgent(partial: Partial<AgentConfig>, opts: { log?: Logger; nc?: NatsConnection } = {}): Promise<RunningAgent> {
  const config: AgentConfig = { ...DEFAULT_AGENT_CONFIG, hostname: os.hostname(), ...partial };
  mkdirSync(config.workDir, { recursive: true });
  const log = opts.log ?? createLogger('agent');
  // The id is needed before the containerizers (cgroup root); read it from the checkpoint first.
  const cp = new Checkpoint(config.workDir);
  // An agent's id is its principal's name (NATS lets it speak only on its own subjects): with agent credentials,
  // they decide the id.
  const credentials = opts.nc ? undefined : resolveCredentials({ credentials: config.natsCreds, principal: agentPrincipalName(config.hostname) });
  const agentId = (credentials?.kind === 'agent' ? credentials.principal : undefined) ?? config.agentId ?? cp.get('agentId');
  cp.close();
  const nc = opts.nc ?? await connectNats({ servers: config.natsUrl, name: `agora-agent:${config.hostname}`, credentials, log });
  const provisionalId = agentId ?? `${config.hostname.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60)}-${Math.random().toString(16).slice(2, 10)}`;
  const containerizers = await buildContainerizers(config, provisionalId, log);
  const agent = new Agent({ ...config, agentId: provisionalId }, { nc, log, containerizers, health: new AgentHealthMonitor(log) }, Object.keys(containerizers) as never);
  if (config.httpPort !== undefined) await startAgentHttp(agent, config.httpPort);
  await agent.start();
  return {
    agent,
    async stop(o = { killTasks: config.killTasksOnExit }) {
      await agent.stop(o);
      if (!opts.nc) await nc.drain().catch(() => undefined);
    },
  };
}

export function agentProgram(): Command {
  const d = DEFAULT_AGENT_CONFIG;
  const resourcesArg = (v: string) => { try { Resources.parse(v); return v; } catch (e) { throw new InvalidArgumentError((e as Error).message); } };
  const byteSizeArg = (v: string) => { if (parseByteSize(v) === undefined) throw new InvalidArgumentError(`'${v}' is not a size like 10MB, 512KB or 1048576`); return v; };
  const positiveIntArg = (v: string) => { if (!/^[1-9]\d*$/.test(v)) throw new InvalidArgumentError(`'${v}' is not a whole number ≥ 1`); return v; };
  const durationArg = (v: string) => { if (parseDurationMs(v) === undefined) throw new InvalidArgumentError(`'${v}' is not a duration like 15s or 500ms`); return v; };
  const attributesArg = (v: string) => { try { parseAttributes(v); return v; } catch (e) { throw new InvalidArgumentError((e as Error).message); } };
  return new Command('agora agent')
    .description('Run an Agora agent: offers this host\'s resources and runs tasks isolated (native cgroups+namespaces, or Docker).')
    .option('--nats <url>', 'NATS server (env AGORA_NATS)', process.env.AGORA_NATS ?? d.natsUrl)
    .option('--hostname <name>', 'hostname to register with', os.hostname())
    .option('--agent-id <id>', 'fixed agent id (default: checkpointed, or new)')
    .option('--resources <text>', "resources to offer instead of detected ones, e.g. 'cpus:4;mem:8192;disk:20000;ports:[31000-32000];cpus(eng):2'", resourcesArg)
    .option('--attributes <text>', "attributes for placement, e.g. 'rack:r1;zone:a'", attributesArg)
    .option('--work-dir <dir>', 'checkpoints and sandboxes (env AGORA_HOME/agent)', process.env.AGORA_HOME ? `${process.env.AGORA_HOME}/agent` : d.workDir)
    .option('--task-user <user>', 'user tasks run as when the agent is root', d.taskUser)
    .option('--task-user-acl <acl>', "users a principal's tasks may run as besides --task-user, e.g. 'ci=builder,deploy;*=www-data'", (v: string) => { try { parseTaskUserAcl(v); return v; } catch (e) { throw new InvalidArgumentError((e as Error).message); } })
    .option('--host-volume-acl <acl>', "host paths a principal's tasks may mount as volumes (none by default), e.g. 'ci=/data/*,/srv/cache;*=/tmp/shared'", (v: string) => { try { parseHostVolumeAcl(v); return v; } catch (e) { throw new InvalidArgumentError((e as Error).message); } })
    .option('--cgroup-root <path>', 'cgroup path for tasks (default agora/<agent-id>, removed when the agent stops with no task left; a path you choose is kept)')
    .option('--docker-host <url>', 'Docker engine (default /var/run/docker.sock)')
    .option('--containerizers <list>', 'containerizers to offer if available', 'native,docker')
    .option('--sandbox-gc-delay <hours>', 'hours before a finished sandbox is deleted', '24')
    .option('--http-port <port>', "serve the agent's /metrics on this port (0 = any free port)")
    .option('--log-max-size <size>', "rotate each task's stdout/stderr once a file holds this much (10MB, 512KB; 0 = never)", byteSizeArg, '10MB')
    .option('--log-max-files <n>', 'files kept per stream, the current one included', positiveIntArg, String(d.logMaxFiles))
    .option('--disk-check-interval <duration>', "how often each task's sandbox is measured against its disk resource (15s, 500ms; 0 = never)", durationArg, '15s')
    .option('--keep-tasks-on-exit', 'on SIGTERM/SIGINT leave tasks running for the next agent to recover')
    .addHelpText('after', `
Examples:
  $ agora agent
  $ agora agent --nats nats://10.0.0.5:4222 --attributes 'rack:r1;zone:a' --hostname node-7
  $ agora agent --resources 'cpus:4;mem:8192;ports:[31000-31100];cpus(eng):2;mem(eng):1024'
  $ agora agent --log-max-size 50MB --log-max-files 3     # at most 150 MB each of stdout and stderr per task
`);
}

export async function main(argv = process.argv): Promise<void> {
  const program = agentProgram();
  program.parse(argv);
  const o = program.opts();
  const log = createLogger('agent');
  // One agent per work dir (its checkpoint): a second on the same dir refuses, naming the first's pid.
  const lock = lockDataDir(o.workDir, 'agora agent');
  handleProcessFailures(log, 'tasks keep running; a restarted agent recovers them from its checkpoint and re-registers');
  const running = await startAgent({
    natsUrl: o.nats, hostname: o.hostname, agentId: o.agentId, resources: o.resources, attributes: o.attributes, workDir: o.workDir,
    taskUser: o.taskUser, taskUserAcl: o.taskUserAcl, hostVolumeAcl: o.hostVolumeAcl, cgroupRoot: o.cgroupRoot, dockerHost: o.dockerHost,
    containerizers: String(o.containerizers).split(',').map((s: string) => s.trim()).filter((s: string) => s === 'native' || s === 'docker') as never,
    sandboxGcDelayMs: Number(o.sandboxGcDelay) * 3_600_000, killTasksOnExit: !o.keepTasksOnExit,
    httpPort: o.httpPort === undefined ? undefined : Number(o.httpPort),
    logMaxBytes: parseByteSize(o.logMaxSize)!, logMaxFiles: Number(o.logMaxFiles), diskCheckIntervalMs: parseDurationMs(o.diskCheckInterval)!,
  }, { log });
  stopOnSignals(log, async () => { await running.stop(); lock.release(); }, o.keepTasksOnExit ? 'tasks keep running for the next agent' : 'killing its tasks');
}

if (require.main === module) {
  main().catch((err) => { process.stderr.write(`agora agent: ${(err as Error).message}\n`); process.exit(1); });
}
