/**
 * A TCP port-forward on this machine's 127.0.0.1 into the namespaced cluster (`agora up --hosts`): each accepted
 * connection is piped byte for byte to the first target that accepts, tried in order — no protocol is parsed.
 * `targets` is asked per connection, so the HTTP forward follows whichever master leads.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Target {
  host: string;
  port: number;
}

export interface Forwarder {
  port: number;
  close(): Promise<void>;
}

export async function forward(
  listenPort: number,
  targets: () => readonly Target[],
  onError: (msg: string) => void,
): Promise<Forwarder> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.pause();
    const list = [...targets()];
    const tryNext = (i: number): void => {
      const t = list[i];
      if (!t) {
        onError(
          `no target answered for a connection to 127.0.0.1:${listenPort} (tried ${list.map((x) => `${x.host}:${x.port}`).join(', ')})`,
        );
        client.destroy();
        return;
      }
      const upstream = connect(t.port, t.host);
      upstream.once('connect', () => {
        sockets.add(upstream);
        upstream.on('close', () => {
          sockets.delete(upstream);
          client.destroy();
        });
        client.on('close', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.once('error', (err) => {
        if (!upstream.remoteAddress) tryNext(i + 1);
        else onError(`${t.host}:${t.port}: ${err.message}`);
      });
    };
    tryNext(0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `port ${listenPort} on 127.0.0.1 is taken` : err.message)),
    );
    server.listen(listenPort, '127.0.0.1', () => resolve());
  });
  return {
    port: listenPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
