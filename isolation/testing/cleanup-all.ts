/**
 * Global cleanup after a crashed test run: every test cgroup (`agora-test/…`, processes killed first) and
 * every test container (label `agora.test=1`).  Run: node bin/run-ts isolation/testing/cleanup-all.ts
 */
import { dockerClient } from '../docker/docker-containerizer';
import { removeTestContainers } from './docker-cleanup';
import { TEST_CGROUP_PREFIX, sweepCgroups } from './fixtures';

async function main(): Promise<void> {
  await sweepCgroups(TEST_CGROUP_PREFIX);
  const removed = await removeTestContainers(dockerClient());
  process.stdout.write(`removed test cgroups under ${TEST_CGROUP_PREFIX} and ${removed} test container(s)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`cleanup failed: ${String(err)}\n`);
  process.exitCode = 1;
});
