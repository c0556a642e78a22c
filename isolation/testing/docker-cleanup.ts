/** Removing every container a test run made (they all carry the `agora.test` label). */
import type Dockerode from 'dockerode';
import { TEST_LABEL } from './fixtures';

export async function removeTestContainers(docker: Dockerode, label = `${TEST_LABEL}=1`): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  return list.length;
}

export async function containersOfTask(docker: Dockerode, taskId: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`agora.task=${taskId}`] } });
  return list.map((c) => `container ${c.Id.slice(0, 12)} (${c.State})`);
}
