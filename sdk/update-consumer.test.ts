/** keepWorking: while a slow callback runs, the server hears `working()` every third of the ack wait, on the injected clock. */
import { FakeClock } from './clock';
import { UPDATE_ACK_WAIT_MS, keepWorking } from './update-consumer';

it('says working every ackWait/3 of the injected clock while the work runs, and stops when it ends', async () => {
  const clock = new FakeClock();
  let working = 0;
  let finish!: (v: string) => void;
  const done = keepWorking({ working: () => working++ }, () => new Promise<string>((r) => (finish = r)), clock);
  clock.advance(UPDATE_ACK_WAIT_MS / 3 - 1);
  expect(working).toBe(0);
  clock.advance(1);
  expect(working).toBe(1);
  clock.advance(UPDATE_ACK_WAIT_MS);
  expect(working).toBe(4);
  finish('ok');
  await expect(done).resolves.toBe('ok');
  clock.advance(UPDATE_ACK_WAIT_MS);
  expect(working).toBe(4);
});
