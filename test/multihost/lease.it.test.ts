/**
 * The lease conformance cases (test/harness/lease-conformance.ts) against a real 3-node nats-server cluster: the
 * bucket is R3, so the compare-and-set goes through JetStream's replicated stream as in production.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { JetStreamKv } from '../../sdk/lease-kv';
import { leaseConformance } from '../harness/lease-conformance';
import { NatsCluster } from '../harness/nats-cluster';

let cluster: NatsCluster;
let nc: NatsConnection;

beforeAll(async () => {
  cluster = await NatsCluster.start(3);
  nc = await connect({ servers: cluster.servers });
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await cluster?.stop();
});

/** JetStream needs its meta leader before the first stream can be made: retry until the cluster answers. */
async function openBucket(name: string): Promise<JetStreamKv> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await JetStreamKv.open(jetstream(nc), await jetstreamManager(nc), name, { replicas: 3 });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('lease on a JetStream bucket (3-node cluster, R3)', () => {
  leaseConformance(openBucket);

  test('the bucket really is replicated on three nodes', async () => {
    await openBucket('replicated');
    const info = await (await jetstreamManager(nc)).streams.info('KV_replicated');
    expect(info.config.num_replicas).toBe(3);
    expect((info.cluster?.replicas ?? []).length).toBe(2);
  });
});
