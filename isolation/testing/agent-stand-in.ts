/**
 * A stand-in agent process for restart tests: launches the tasks described in argv[2] (JSON) with the
 * containerizer named there, prints each checkpoint as one JSON line, then idles until killed.
 */
import type { Containerizer, ContainerSpec } from '../containerizer';
import { DockerContainerizer } from '../docker/docker-containerizer';
import { NativeContainerizer } from '../native/native-containerizer';

interface Order {
  kind: 'native' | 'docker';
  cgroupRoot?: string;
  specs: ContainerSpec[];
}

async function main(): Promise<void> {
  const order = JSON.parse(process.argv[2]!) as Order;
  const c: Containerizer =
    order.kind === 'native'
      ? new NativeContainerizer({ agentId: 'agent-test', cgroupRoot: order.cgroupRoot })
      : new DockerContainerizer({ agentId: 'agent-test' });
  for (const spec of order.specs) {
    const k = await c.launch(spec);
    process.stdout.write(`${JSON.stringify(k.checkpoint)}\n`);
  }
  setInterval(() => {}, 60_000);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
