/** connectNats's start retries and its start timeout run on the injected clock: no real waiting in a test. */
import { createServer } from 'node:net';
import { FakeClock } from './clock';
import { connectNats } from './nats';

/** A port nothing listens on (taken, then freed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

it('retries on the injected clock and gives up once startTimeoutMs of it has passed', async () => {
  const clock = new FakeClock();
  let outcome: Error | undefined;
  const connecting = connectNats({
    servers: `nats://127.0.0.1:${await closedPort()}`,
    name: 'clock-test',
    startTimeoutMs: 10_000,
    clock,
  }).catch((e: Error) => (outcome = e));
  // Each failed attempt waits on the fake clock: move it along until connectNats gives up.
  for (let i = 0; i < 10_000 && !outcome; i++) {
    await new Promise((r) => setImmediate(r));
    clock.advance(1000);
  }
  await connecting;
  expect(outcome?.message).toMatch(/cannot reach NATS at .* after \d+ attempts/);
  // Given up within a few retries of the FAKE clock passing 10 s: fake time only moves in the loop above, so this
  // is a count of retries, not a measurement of the machine's speed.
  const fakeTimePassed = clock.now() - 1_700_000_000_000;
  expect(fakeTimePassed).toBeGreaterThan(10_000);
  expect(fakeTimePassed).toBeLessThan(20_000);
});
