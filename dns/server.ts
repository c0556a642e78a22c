/**
 * The DNS transport: one UDP socket and one TCP listener on the same address and port, each message decoded with
 * dns-packet and handed to `answer` (answer.ts over the current zone). TCP messages carry the usual two-byte
 * length prefix (RFC 1035 §4.2.2); a connection may send several, and is closed after 10 s of silence.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import * as packet from 'dns-packet';
import { RateLimitedLog, type Logger } from 'agora/sdk';
import { formatError, type Transport } from './answer';

export type Answerer = (query: packet.DecodedPacket, transport: Transport) => Buffer | undefined;

export interface DnsServerOptions {
  host: string;
  /** 0 picks a free port (the same one for UDP and TCP). */
  port: number;
  answer: Answerer;
  log: Logger;
  tcpIdleMs?: number;
}

export interface DnsServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const warn = new RateLimitedLog(opts.log);
  const respond = (bytes: Buffer, transport: Transport): Buffer | undefined => {
    let query: packet.DecodedPacket;
    try {
      query = packet.decode(bytes);
    } catch (e) {
      warn.warn(`decode:${transport}`, { transport, err: (e as Error).message }, 'undecodable DNS message');
      return formatError(bytes);
    }
    try {
      return opts.answer(query, transport);
    } catch (e) {
      opts.log.error({ err: e, transport }, 'answering a DNS query failed');
      return formatError(bytes); // never silence: the client hears something rather than waiting for its timeout
    }
  };
  // With port 0 the UDP socket picks the port, and TCP must get the same one; another process may hold it
  // for TCP, so try a few times.
  for (let attempt = 0; ; attempt++) {
    const udp = await bindUdp(opts.host, opts.port, respond, opts.log);
    const port = udp.address().port;
    try {
      const conns = new Set<TcpSocket>();
      const tcp = await listenTcp(opts.host, port, respond, opts.tcpIdleMs ?? 10_000, opts.log, conns);
      return {
        host: opts.host,
        port,
        async close() {
          await new Promise<void>((r) => udp.close(() => r()));
          const closed = new Promise<void>((r) => tcp.close(() => r()));
          for (const c of conns) c.destroy();
          await closed;
        },
      };
    } catch (e) {
      await new Promise<void>((r) => udp.close(() => r()));
      if (opts.port !== 0 || attempt >= 5)
        throw new Error(`cannot listen for DNS over TCP on ${opts.host}:${port}: ${(e as Error).message}`, {
          cause: e,
        });
    }
  }
}

function bindUdp(
  host: string,
  port: number,
  respond: (b: Buffer, t: Transport) => Buffer | undefined,
  log: Logger,
): Promise<Socket> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.on('message', (msg, rinfo) => {
    const out = respond(msg, 'udp');
    if (out)
      socket.send(out, rinfo.port, rinfo.address, (err) => {
        if (err) log.warn({ err: err.message, to: `${rinfo.address}:${rinfo.port}` }, 'could not send a DNS reply');
      });
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      socket.on('error', (err) => log.error({ err: err.message }, 'DNS UDP socket error'));
      resolve(socket);
    });
  });
}

function listenTcp(
  host: string,
  port: number,
  respond: (b: Buffer, t: Transport) => Buffer | undefined,
  idleMs: number,
  log: Logger,
  conns: Set<TcpSocket>,
): Promise<Server> {
  const server = createServer((conn) => {
    conns.add(conn);
    conn.once('close', () => conns.delete(conn));
    serveConnection(conn, respond, idleMs, log);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', (err) => log.error({ err: err.message }, 'DNS TCP listener error'));
      resolve(server);
    });
  });
}

function serveConnection(
  conn: TcpSocket,
  respond: (b: Buffer, t: Transport) => Buffer | undefined,
  idleMs: number,
  log: Logger,
): void {
  let pending = Buffer.alloc(0);
  conn.setTimeout(idleMs, () => conn.destroy());
  conn.on('error', (err) => log.debug({ err: err.message }, 'DNS TCP connection error'));
  conn.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const len = pending.readUInt16BE(0);
      if (pending.length < 2 + len) break;
      const msg = pending.subarray(2, 2 + len);
      pending = pending.subarray(2 + len);
      const out = respond(Buffer.from(msg), 'tcp');
      if (!out) continue;
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(out.length);
      conn.write(Buffer.concat([prefix, out]));
    }
  });
}
