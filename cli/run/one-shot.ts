/**
 * The one-shot framework behind `agora run`, written only against agora/sdk: register, launch one task on the
 * first offer that fits, follow its sandbox output through the agent's file API, and leave when it ends.
 */
import { randomBytes } from 'node:crypto';
import {
  Resources, SchedulerDriver, isTerminal, request, subjects, createLogger, type Offer, type TaskStatus, type CredentialsFile,
} from 'agora/sdk';
import { CliError, EXIT, color, stateColor } from '../common';

export interface RunOptions {
  natsUrl: string; credentials?: CredentialsFile; command: string[]; cpus: number; memMb: number; diskMb?: number; env: Record<string, string>;
  name: string; image?: string; role: string; waitForOfferMs: number; quiet: boolean;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

export async function runOnce(o: RunOptions): Promise<number> {
  const taskId = `${o.name.replace(/[^A-Za-z0-9_.-]/g, '-')}-${randomBytes(4).toString('hex')}`;
  let need = Resources.parse(`cpus:${o.cpus};mem:${o.memMb}`);
  if (o.diskMb) need = need.add(Resources.scalar('disk', o.diskMb));
  let launched: Offer | undefined;
  let done!: (s: TaskStatus) => void;
  const finished = new Promise<TaskStatus>((r) => { done = r; });
  const say = (line: string) => { if (!o.quiet) process.stderr.write(`${color.dim('agora:')} ${line}\n`); };
  const driver = new SchedulerDriver({
    natsUrl: o.natsUrl, credentials: o.credentials,
    log: createLogger('agora-run', { level: process.env.AGORA_LOG_LEVEL ?? 'silent' }),
    framework: { name: `agora-run:${o.name}`, roles: [o.role], failoverTimeoutMs: 0 },
    connectTimeoutMs: 3000,
    scheduler: {
      async resourceOffers(d, offers) {
        for (const offer of offers) {
          const fits = !launched && Resources.fromWire(offer.resources).contains(need) && (!o.image || offer.containerizers.includes('docker'));
          if (!fits) { await d.decline([offer.id], { refuseSeconds: launched ? 3600 : 1 }); continue; }
          launched = offer;
          say(`launching task ${taskId} on ${offer.hostname} (${need.format()})`);
          await d.launch([offer.id], [{
            taskId, name: o.name, agentId: offer.agentId, resources: need.toWire(),
            command: o.command.length === 1 ? { shell: true, value: o.command[0], env: o.env } : { shell: false, value: o.command[0], arguments: o.command.slice(1), env: o.env },
            container: o.image ? { type: 'DOCKER', image: o.image } : { type: 'NATIVE' },
          }], { refuseSeconds: 3600 });
          await d.suppress().catch(() => undefined);
        }
      },
      statusUpdate(_d, s) {
        if (s.taskId !== taskId) return;
        say(`${stateColor(s.state)}${s.reason && s.reason !== 'EXITED' ? ` (${s.reason})` : ''}${s.exitCode !== undefined ? ` exit code ${s.exitCode}` : ''}${s.message && s.state !== 'TASK_RUNNING' ? ` — ${s.message}` : ''}`);
        if (isTerminal(s.state)) done(s);
      },
      error(_d, message) { say(color.red(`error from master: ${message}`)); },
    },
  });
  try {
    await Promise.race([driver.start(), timeout(10_000, `no master answers on ${o.natsUrl} (is the cluster up? set --nats or AGORA_NATS)`, EXIT.UNAVAILABLE)]);
  } catch (e) {
    await driver.stop({ failover: true }).catch(() => undefined);
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot reach the cluster at ${o.natsUrl}: ${(e as Error).message} (is it up? set --nats or AGORA_NATS)`, EXIT.UNAVAILABLE);
  }
  say(`registered as framework ${driver.frameworkId}; waiting for an offer with ${need.format()}`);
  const onSignal = () => {
    say('interrupted: killing the task');
    if (launched) driver.kill(taskId, launched.agentId).catch((e: Error) => say(`could not kill the task: ${e.message}`));
    else finishEarly().catch((e: Error) => say(`could not stop: ${e.message}`));
  };
  const finishEarly = async () => { await driver.stop({ failover: false }).catch(() => undefined); process.exit(130); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const offerTimer = setTimeout(() => { if (!launched) { say(color.red(`no offer with ${need.format()} within ${o.waitForOfferMs / 1000}s`)); done({ state: 'TASK_DROPPED' } as TaskStatus); } }, o.waitForOfferMs);
  const tail = followOutput(driver, () => launched, taskId, finished);
  const final = await finished;
  clearTimeout(offerTimer);
  await tail;
  await driver.stop({ failover: false }).catch(() => undefined);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (final.state === 'TASK_FINISHED') return 0;
  if (final.exitCode !== undefined) return final.exitCode;
  if (final.signal && SIGNALS[final.signal]) return 128 + SIGNALS[final.signal];
  return EXIT.FAILED;
}

/** Copies the task's stdout/stderr to ours as they grow, until the task ended and everything was read. */
async function followOutput(driver: SchedulerDriver, where: () => Offer | undefined, taskId: string, finished: Promise<TaskStatus>): Promise<void> {
  const offsets = { stdout: 0, stderr: 0 };
  let ended = false;
  finished.then(() => { ended = true; }, () => { ended = true; });
  for (;;) {
    const offer = where();
    const wasEnded = ended;
    if (offer) {
      for (const file of ['stdout', 'stderr'] as const) {
        try {
          for (;;) {
            const r = await request<{ data: string; offset: number; eof: boolean }>(driver.connection, subjects.agentCommand(offer.agentId),
              { type: 'FILES_READ', taskId, path: file, offset: offsets[file], length: 65536 }, { timeoutMs: 3000 });
            if (r.data.length > 0) (file === 'stdout' ? process.stdout : process.stderr).write(r.data);
            offsets[file] += Buffer.byteLength(r.data);
            if (r.eof || r.data.length === 0) break;
          }
        } catch { /* not there yet (launching) */ }
      }
    }
    if (wasEnded) return;
    await new Promise((r) => setTimeout(r, 150));
  }
}

function timeout(ms: number, message: string, code: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new CliError(message, code)), ms).unref());
}
