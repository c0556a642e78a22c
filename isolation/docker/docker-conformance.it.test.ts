import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeConformance } from '../conformance/conformance';
import { TEST_LABEL, dockerSpec, removeTempSandboxes, uniqueId } from '../testing/fixtures';
import { containersOfTask, removeTestContainers } from '../testing/docker-cleanup';
import { DockerContainerizer } from './docker-containerizer';
afterAll(removeTempSandboxes);

jest.setTimeout(180_000);
const run = uniqueId('run');
const make = (): DockerContainerizer => new DockerContainerizer({ agentId: 'agent-test' });
afterAll(() => removeTestContainers(make().docker, `${TEST_LABEL}.run=${run}`));

describeConformance({
  name: 'docker',
  make,
  spec: (value) => dockerSpec(value, { labels: { [TEST_LABEL]: '1', [`${TEST_LABEL}.run`]: run } }),
  output: (spec, name) => fs.readFileSync(path.join(spec.sandboxDir, name), 'utf8'),
  leftovers: (spec) => containersOfTask(make().docker, spec.taskId),
});
