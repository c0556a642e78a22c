import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeConformance } from '../conformance/conformance';
import {
  TEST_CGROUP_PREFIX,
  cgroupsUnder,
  processesUnder,
  removeTempSandboxes,
  shellSpec,
  sweepCgroups,
  uniqueId,
} from '../testing/fixtures';
import { NativeContainerizer } from './native-containerizer';
afterAll(removeTempSandboxes);

const root = `${TEST_CGROUP_PREFIX}/${uniqueId('conf')}`;
afterAll(() => sweepCgroups(root));

describeConformance({
  name: 'native',
  make: () => new NativeContainerizer({ agentId: 'agent-test', cgroupRoot: root, recoverPollMs: 50 }),
  spec: (value) => shellSpec(value),
  output: (spec, name) => fs.readFileSync(path.join(spec.sandboxDir, name), 'utf8'),
  leftovers: async (spec) => [
    ...cgroupsUnder(`${root}/${spec.taskId}`),
    ...processesUnder(root).map((p) => `pid ${p}`),
  ],
});
