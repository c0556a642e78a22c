import { FakeClock } from '../sdk/clock';
import { ApiError } from '../sdk/errors';
import { createLogger } from '../sdk/log';
import { MasterLink, type PingReply, type RegisterReply } from './master-link';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup() {
  const clock = new FakeClock(0);
  const registers: number[] = [];
  const pings: number[] = [];
  const accepted: string[] = [];
  /** What the "master" answers next: a reply, or an error to throw. */
  const answers = { register: [] as (RegisterReply | Error)[], ping: [] as (PingReply | Error)[] };
  const next = <T>(q: (T | Error)[], fallback: T | Error): Promise<T> => {
    const a = q.shift() ?? fallback;
    return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
  };
  const link = new MasterLink({
    clock,
    log: createLogger('test', { level: 'silent' }),
    register: () => {
      registers.push(clock.now());
      return next(answers.register, new ApiError('UNAVAILABLE', 'no reply'));
    },
    ping: () => {
      pings.push(clock.now());
      return next(answers.ping, { masterId: 'm1', reregister: false });
    },
    registered: (r) => accepted.push(r.masterId),
  });
  const step = async (ms: number): Promise<void> => {
    await flush();
    for (let t = 0; t < ms; t += 100) {
      clock.advance(100);
      await flush();
    }
  };
  return { clock, link, registers, pings, accepted, answers, step };
}
const reply = (masterId: string, pingIntervalMs = 1000): RegisterReply => ({ masterId, pingIntervalMs, killTasks: [] });

describe("the agent's link to the master", () => {
  it('retries registration 200 ms, 400 ms, 800 ms … apart until the master answers, then pings every interval', async () => {
    const s = setup();
    const unanswered = new ApiError('UNAVAILABLE', 'no reply');
    s.answers.register.push(unanswered, unanswered, unanswered, reply('m1'));
    const registered = s.link.register();
    await s.step(1400);
    await registered;
    expect(s.registers).toEqual([0, 200, 600, 1400]);
    expect(s.link.registered).toBe(true);
    expect(s.accepted).toEqual(['m1']);
    await s.step(3000);
    expect(s.pings).toEqual([2400, 3400, 4400]);
  });

  it('keeps pinging when a ping goes unanswered', async () => {
    const s = setup();
    s.answers.register.push(reply('m1'));
    s.answers.ping.push(new ApiError('UNAVAILABLE', 'no reply'));
    await s.link.register();
    await s.step(3000);
    expect(s.pings).toEqual([1000, 2000, 3000]);
    expect(s.registers).toEqual([0]);
  });

  it('registers again when a new master answers the ping, or the master asks for it', async () => {
    const s = setup();
    s.answers.register.push(reply('m1'), reply('m2', 500), reply('m2', 500));
    s.answers.ping.push(
      { masterId: 'm2', reregister: false },
      { masterId: 'm2', reregister: false },
      { masterId: 'm2', reregister: true },
    );
    await s.link.register();
    await s.step(1000);
    expect(s.registers).toEqual([0, 1000]);
    expect(s.link.masterId).toBe('m2');
    await s.step(1000);
    expect(s.pings).toEqual([1000, 1500, 2000]);
    expect(s.registers).toEqual([0, 1000, 2000]);
    expect(s.accepted).toEqual(['m1', 'm2', 'm2']);
  });

  it('stops retrying and pinging once stopped', async () => {
    const s = setup();
    const registered = s.link.register();
    await s.step(700);
    s.link.stop();
    await s.step(10_000);
    await registered;
    expect(s.registers).toEqual([0, 200, 600]);
    expect(s.link.registered).toBe(false);
    expect(s.pings).toEqual([]);
  });
});
