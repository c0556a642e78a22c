/**
 * A test-only fault between the master and an in-process agent: the agent's NATS connection, wrapped so that a
 * LAUNCH chosen by the test never reaches the agent (as if lost on the way) and is held instead; the test may
 * later hand it to the agent — a LAUNCH arriving late — and read the agent's reply. Everything else passes as is.
 *
 *   const held = holdLaunches(nc, (launch) => launch.task.taskId === 'lost');
 *   await cluster.addAgent({}, { nc: held.nc });
 *   … the master's LAUNCH of 'lost' times out …
 *   const reply = await held.deliver('lost');   // the agent's answer to the late LAUNCH
 *
 * Only the agent's own command subject is intercepted; the agent code is unchanged (no hook in agent/).
 */
import type { Msg, NatsConnection, Subscription, SubscriptionOptions } from '@nats-io/transport-node';
import { decode, subjects, type AgentCommand } from 'agora/sdk/internal';

type Launch = Extract<AgentCommand, { type: 'LAUNCH' }>;
type Callback = NonNullable<SubscriptionOptions['callback']>;

export interface HeldLaunches {
  /** The connection to give the agent. */
  nc: NatsConnection;
  /** Task ids of the LAUNCHes held so far. */
  held(): string[];
  /** Rejections of the agent's command callback seen while passing messages through (expected: none). */
  failures(): Error[];
  /** Hands the held LAUNCH of this task to the agent now; resolves with the agent's decoded reply. */
  deliver(taskId: string): Promise<{ ok: boolean; error?: { code: string; message: string } }>;
}

/** Holds (once per task id) every LAUNCH for which `hold` is true. */
export function holdLaunches(nc: NatsConnection, hold: (launch: Launch) => boolean): HeldLaunches {
  const held = new Map<string, { msg: Msg; callback: Callback }>();
  const failures: Error[] = [];
  const subscribe = (subject: string, opts?: SubscriptionOptions): Subscription => {
    const callback = opts?.callback;
    if (!callback || !subject.startsWith(subjects.agentCommand(''))) return nc.subscribe(subject, opts);
    return nc.subscribe(subject, {
      ...opts,
      callback: (err, msg) => {
        const cmd = err ? undefined : (decode(msg.data) as Partial<Launch>);
        if (cmd?.type === 'LAUNCH' && cmd.task && !held.has(cmd.task.taskId) && hold(cmd as Launch)) {
          held.set(cmd.task.taskId, { msg, callback });
          return;
        }
        // The agent's callback (serveRequests) handles its own failures; a rejection here is kept for the test.
        Promise.resolve(callback(err, msg)).catch((e: Error) => failures.push(e));
      },
    });
  };
  const wrapped = new Proxy(nc, {
    get(target, prop) {
      if (prop === 'subscribe') return subscribe;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return {
    nc: wrapped,
    held: () => [...held.keys()],
    failures: () => [...failures],
    deliver(taskId) {
      const h = held.get(taskId);
      if (!h) return Promise.reject(new Error(`no LAUNCH of '${taskId}' is held`));
      held.delete(taskId);
      return new Promise((resolve, reject) => {
        const late = new Proxy(h.msg, {
          get(target, prop) {
            if (prop === 'respond')
              return (data?: Uint8Array) => {
                resolve(decode(data ?? new Uint8Array()) as { ok: boolean; error?: { code: string; message: string } });
                return target.respond(data);
              };
            const v: unknown = Reflect.get(target, prop, target);
            return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
          },
        });
        Promise.resolve(h.callback(null, late)).catch(reject);
      });
    },
  };
}
