import { connect, createServer, type Server } from 'node:net';
import { freePort } from '../../../test/harness/nats-server';
import { forward } from './forward';

/** An echo server that prefixes what it sends back with its name. */
async function echo(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.on('data', (d) => s.write(`${name}:${d}`)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port };
}

function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    s.once('data', (d) => {
      resolve(String(d));
      s.end();
    });
    s.once('error', reject);
  });
}

test('forwards byte for byte to the first target that accepts, asked per connection; refuses a taken port', async () => {
  const a = await echo('a');
  const dead = await freePort();
  let targets = [
    { host: '127.0.0.1', port: dead },
    { host: '127.0.0.1', port: a.port },
  ];
  const errors: string[] = [];
  const f = await forward(
    await freePort(),
    () => targets,
    (m) => errors.push(m),
  );
  try {
    expect(await roundTrip(f.port, 'hello')).toBe('a:hello');
    const b = await echo('b');
    targets = [{ host: '127.0.0.1', port: b.port }];
    expect(await roundTrip(f.port, 'again')).toBe('b:again');
    b.server.close();
    await expect(
      forward(
        f.port,
        () => targets,
        () => undefined,
      ),
    ).rejects.toThrow(`port ${f.port} on 127.0.0.1 is taken`);
    targets = [{ host: '127.0.0.1', port: dead }];
    await new Promise<void>((resolve) => {
      const s = connect(f.port, '127.0.0.1');
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    expect(errors.join('\n')).toContain('no target answered');
  } finally {
    await f.close();
    a.server.close();
  }
});
