/**
 * The master's HTTP API over TLS (`--http-tls-cert/--http-tls-key`), against a real cluster: a client that
 * trusts the certificate reaches it with a token, plain HTTP on that port gets no answer, and a token is still
 * required. The certificate is made here with openssl (self-signed for 127.0.0.1).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { startHttp } from '../../master/http/server';
import { startCluster, type TestCluster } from '../harness/cluster';

jest.setTimeout(90_000);

let cluster: TestCluster;
let https: FastifyInstance;
let port: number;
let ca: Buffer;

function get(path: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, ca, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  cluster = await startCluster({ agents: [] });
  const cert = join(cluster.dir, 'master.crt');
  const key = join(cluster.dir, 'master.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  ca = readFileSync(cert);
  https = await startHttp(cluster.master.master, { host: '127.0.0.1', port: 0, tlsCert: cert, tlsKey: key });
  port = (https.server.address() as { port: number }).port;
});

afterAll(async () => {
  await https?.close();
  await cluster?.stop();
});

it('serves the API over TLS, still requiring a token', async () => {
  expect((await get('/health')).status).toBe(200);
  expect((await get('/api/v1/state')).status).toBe(401);
  const state = await get('/api/v1/state', cluster.token);
  expect(state.status).toBe(200);
  expect(JSON.parse(state.body)).toMatchObject({ masterId: cluster.master.master.id });
});

it('does not answer plain HTTP on the TLS port', async () => {
  const plain = await fetch(`http://127.0.0.1:${port}/health`).then(
    (r) => r.status,
    (e: Error) => e.message,
  );
  expect(plain).not.toBe(200);
});

it('refuses to start with a certificate but no key', async () => {
  await expect(
    startHttp(cluster.master.master, { host: '127.0.0.1', port: 0, tlsCert: join(cluster.dir, 'master.crt') }),
  ).rejects.toThrow(/needs both --http-tls-cert and --http-tls-key/);
});
