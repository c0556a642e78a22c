import { FakeClock } from '../clock';
import { ApiError } from '../errors';
import { createLogger } from '../log';
import { MasterWatch, type MasterLoss } from './master-watch';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(answer: () => Promise<unknown>) {
  const clock = new FakeClock(0);
  const beats: number[] = [];
  const losses: [MasterLoss, number][] = [];
  let paused = false;
  const watch = new MasterWatch({
    clock,
    log: createLogger('test', { level: 'silent' }),
    paused: () => paused,
    beat: () => {
      beats.push(clock.now());
      return answer();
    },
    lost: async (why) => {
      losses.push([why, clock.now()]);
    },
  });
  const step = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 500) {
      clock.advance(500);
      await flush();
    }
  };
  return {
    clock,
    watch,
    beats,
    losses,
    step,
    pause: (p: boolean) => {
      paused = p;
    },
  };
}

describe('the driver watch on the master', () => {
  it('beats every interval and says nothing while the master answers', async () => {
    const s = setup(() => Promise.resolve({ ok: true }));
    s.watch.start(1000);
    await s.step(5000);
    expect(s.beats).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(s.losses).toEqual([]);
  });

  it('asks for re-subscription after 3 silent intervals, not before', async () => {
    const s = setup(() => Promise.reject(new ApiError('UNAVAILABLE', 'no reply')));
    s.watch.start(1000);
    await s.step(3000);
    expect(s.losses).toEqual([]);
    await s.step(1000);
    expect(s.losses).toEqual([['SILENT', 4000]]);
  });

  it('counts heartbeat events as hearing from the master', async () => {
    const s = setup(() => Promise.reject(new ApiError('UNAVAILABLE', 'no reply')));
    s.watch.start(1000);
    await s.step(2500);
    s.watch.heard();
    await s.step(3000);
    expect(s.losses).toEqual([]);
    await s.step(1000);
    expect(s.losses).toEqual([['SILENT', 6000]]);
  });

  it('re-subscribes at once when a new master does not know the framework, and skips checks while paused', async () => {
    const s = setup(() => Promise.reject(new ApiError('NOT_SUBSCRIBED', 'who are you')));
    s.watch.start(1000);
    s.pause(true);
    await s.step(3000);
    expect(s.beats).toEqual([]);
    s.pause(false);
    await s.step(1000);
    expect(s.losses).toEqual([['NOT_SUBSCRIBED', 4000]]);
  });

  it('stops beating once stopped', async () => {
    const s = setup(() => Promise.resolve({}));
    s.watch.start(1000);
    await s.step(1000);
    s.watch.stop();
    await s.step(10_000);
    expect(s.beats).toEqual([1000]);
    expect(s.clock.pending()).toBe(0);
  });
});
