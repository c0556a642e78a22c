/**
 * The transport with the real `dig`: UDP and TCP on one port, truncation of a large answer over UDP (TC bit) and
 * dig's retry over TCP that then gets all of it. The zone is built directly (40 instances of one app) so the
 * answer is large without starting 40 tasks; dns.it.test.ts covers the zone as a cluster feeds it.
 */
import { createSocket } from 'node:dgram';
import { createLogger } from 'agora/sdk';
import { dig } from '../test/harness/dig';
import { answerQuery } from './answer';
import { startDnsServer, type DnsServer } from './server';
import { buildZone } from './zone';

const N = 40;
const zone = buildZone({
  apps: [
    {
      appId: '/big',
      portCount: 1,
      endpoints: Array.from({ length: N }, (_, i) => ({ host: `10.1.0.${i}`, ports: [30000 + i] })),
    },
  ],
  addresses: new Map(Array.from({ length: N }, (_, i) => [`10.1.0.${i}`, [`10.1.0.${i}`]])),
  serial: 1,
});
let server: DnsServer;

beforeAll(async () => {
  server = await startDnsServer({
    host: '127.0.0.1',
    port: 0,
    log: createLogger('test', { level: 'silent' }),
    answer: (q, t) => answerQuery(zone, q, t),
  });
});
afterAll(async () => {
  await server?.close();
});

it('truncates a large answer over UDP (TC set, no records) and dig gets all of it by retrying over TCP', async () => {
  const udpOnly = await dig(server.port, '_port0._tcp.big.agora', 'SRV', ['+ignore', '+noedns']);
  expect(udpOnly.flags).toContain('tc');
  expect(udpOnly.answer).toEqual([]);

  const retried = await dig(server.port, '_port0._tcp.big.agora', 'SRV', ['+noedns']);
  expect(retried.text).toMatch(/Truncated, retrying in TCP mode/);
  expect(retried.flags).not.toContain('tc');
  expect(retried.answer.filter((r) => r[3] === 'SRV')).toHaveLength(N);
  expect(retried.additional.filter((r) => r[3] === 'A')).toHaveLength(N);
});

it('fits the answer into the EDNS buffer the client announces', async () => {
  const r = await dig(server.port, 'big.agora', 'A', ['+bufsize=4096', '+ignore']);
  expect([r.status, r.flags.includes('tc'), r.answer.length]).toEqual(['NOERROR', false, N]);
  const small = await dig(server.port, 'big.agora', 'A', ['+bufsize=512', '+ignore']);
  expect(small.flags).toContain('tc');
});

it('answers FORMERR to a datagram that is not a DNS message but has a header, and stays up', async () => {
  const sock = createSocket('udp4');
  const reply = await new Promise<Buffer>((resolve, reject) => {
    sock.once('message', resolve);
    sock.once('error', reject);
    const junk = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]); // 5 questions, then garbage
    sock.send(junk, server.port, '127.0.0.1');
  });
  sock.close();
  expect(reply.readUInt16BE(0)).toBe(0x1234);
  expect(reply.readUInt16BE(2) & 0x8000).toBe(0x8000); // a response
  expect(reply.readUInt16BE(2) & 0xf).toBe(1); // FORMERR
  expect((await dig(server.port, 'big.agora', 'SOA')).status).toBe('NOERROR');
});
