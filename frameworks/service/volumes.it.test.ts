/**
 * Local persistent volumes end to end: a real nats-server, master and two agents; an app whose instance
 * appends a line to `data/log` in its volume at every start. The instance is killed (a crash) and restarted
 * (a new version): each time it comes back on the same agent and finds the earlier lines. Removing the app
 * destroys the volume on the agent. Bad input is refused by field. Only condition waits.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectNats, createLogger, type NatsConnection } from 'agora/sdk';
import { eventually, startCluster, type TestCluster } from '../../test/harness/cluster';
import { serviceClient } from '../../test/harness/service-client';
import { startService, type RunningService } from './main';

jest.setTimeout(240_000);

let cluster: TestCluster;
let svc: RunningService;
let nc: NatsConnection;
const { api, show, succeeded, removeApp } = serviceClient(() => nc);

beforeAll(async () => {
  cluster = await startCluster({ agents: [{}, {}] });
  svc = await startService({
    natsUrl: cluster.natsUrl,
    dataDir: join(cluster.dir, 'service'),
    tickMs: 200,
    log: createLogger('service', { level: 'silent' }),
  });
  nc = await connectNats({ servers: cluster.natsUrl, name: 'volumes-it' });
});
afterAll(async () => {
  await nc?.drain().catch(() => undefined);
  await svc?.stop().catch(() => undefined);
  await cluster?.stop();
});

const volumeFile = (agentIndex: number, persistenceId: string) =>
  join(cluster.dir, `agent-${agentIndex}`, 'volumes', persistenceId);

it('refuses bad volumes by field', async () => {
  await expect(
    api({
      type: 'deploy',
      app: { id: '/badvol', cmd: 'x', volumes: [{ containerPath: '../etc', persistent: { sizeMb: 10 } }] },
    }),
  ).rejects.toMatchObject({
    code: 'INVALID',
    field: 'volumes[0].containerPath',
    message: expect.stringMatching(/must stay inside the sandbox/),
  });
  await expect(
    api({
      type: 'deploy',
      app: { id: '/badvol', cmd: 'x', volumes: [{ containerPath: '/data', persistent: { sizeMb: 10 } }] },
    }),
  ).rejects.toMatchObject({
    field: 'volumes[0].containerPath',
    message: expect.stringMatching(/relative to the sandbox/),
  });
  // The framework has seen the agents' offers (disk:10000 each) once an app ran; deploy one to be sure.
  const { deploymentId } = await api({ type: 'deploy', app: { id: '/probe', cmd: 'sleep 1000', cpus: 0.1, mem: 16 } });
  await succeeded(deploymentId!, 'probe up');
  await expect(
    api({
      type: 'deploy',
      app: { id: '/badvol', cmd: 'x', volumes: [{ containerPath: 'data', persistent: { sizeMb: 50_000 } }] },
    }),
  ).rejects.toMatchObject({
    field: 'volumes[0].persistent.sizeMb',
    message: expect.stringMatching(/50000 MB is larger than any agent's disk \(the largest offered is 10000 MB\)/),
  });
  await removeApp('/probe');
});

it('keeps a volume across a crash and a restart on the same agent, and destroys it with the app', async () => {
  const cmd = 'mkdir -p data && echo "start $AGORA_INSTANCE_ID" >> data/log && exec sleep 1000';
  const { deploymentId } = await api({
    type: 'deploy',
    app: {
      id: '/db',
      cmd,
      cpus: 0.1,
      mem: 16,
      disk: 5,
      volumes: [{ containerPath: 'data', persistent: { sizeMb: 20 } }],
    },
  });
  await succeeded(deploymentId!, 'db up', 30_000);
  const first = await show('/db');
  expect(first.definition.upgradeStrategy).toEqual({ minimumHealthCapacity: 0.5, maximumOverCapacity: 0 });
  const [vol] = first.volumes!;
  expect(vol).toMatchObject({
    containerPath: 'data',
    sizeMb: 20,
    instanceId: first.instanceList[0].instanceId,
    hostname: first.instanceList[0].hostname,
  });
  const agentIndex = Number(vol.hostname.slice('agent-'.length));
  const log = join(volumeFile(agentIndex, vol.persistenceId), 'log');
  await eventually(
    () => existsSync(log) && readFileSync(log, 'utf8').split('\n').filter(Boolean).length === 1,
    'first line written',
  );

  // A crash: the process is killed outside Agora. The replacement comes back to the same agent and volume.
  const pids = execFileSync('pgrep', ['-f', 'exec sleep 1000|sleep 1000'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map(Number);
  const taskPids = pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(
        `AGORA_INSTANCE_ID=${first.instanceList[0].instanceId}`,
      );
    } catch {
      return false;
    }
  });
  expect(taskPids.length).toBeGreaterThan(0);
  for (const pid of taskPids) process.kill(pid, 'SIGKILL');
  const second = await eventually(
    async () => {
      const a = await show('/db');
      return a.ready === 1 && a.instanceList[0].instanceId !== first.instanceList[0].instanceId ? a : undefined;
    },
    'replaced after the crash',
    60_000,
  );
  expect(second.instanceList[0].hostname).toBe(vol.hostname);
  expect(second.volumes).toEqual([{ ...vol, instanceId: second.instanceList[0].instanceId }]);
  await eventually(
    () => readFileSync(log, 'utf8').split('\n').filter(Boolean).length === 2,
    'second line appended to the same file',
  );

  // A restart (new version): the same again.
  const r = await api({ type: 'restart', appId: '/db' });
  await succeeded(r.deploymentId, 'restarted', 30_000);
  const third = await show('/db');
  expect(third.instanceList.map((i) => i.hostname)).toEqual([vol.hostname]);
  expect(third.volumes!.map((v) => v.persistenceId)).toEqual([vol.persistenceId]);
  const lines = await eventually(() => {
    const l = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    return l.length === 3 ? l : undefined;
  }, 'third line appended');
  expect(lines).toEqual([
    `start ${first.instanceList[0].instanceId}`,
    `start ${second.instanceList[0].instanceId}`,
    `start ${third.instanceList[0].instanceId}`,
  ]);

  await removeApp('/db');
  await eventually(
    () =>
      !existsSync(volumeFile(agentIndex, vol.persistenceId)) &&
      !existsSync(`${volumeFile(agentIndex, vol.persistenceId)}.json`),
    'volume destroyed on the agent',
    30_000,
  );
});
