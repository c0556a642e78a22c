/**
 * A tiny framework run as its own process by the framework-failover fault test, so it can be killed with
 * SIGKILL. On agora/sdk only. Prints one JSON line per event it sees (`{"event":"update",…}`); launches the
 * tasks given (JSON) on its first offers, or none when restarted with `[]`, and reconciles on every registration.
 *
 *   node bin/run-ts test/faults/framework-process.ts <natsUrl> <frameworkId> <failoverTimeoutMs> '<tasks json>'
 */
import { Resources, SchedulerDriver, type Offer } from 'agora/sdk';

const [natsUrl, id, failoverTimeoutMs, tasksJson] = process.argv.slice(2);
const toLaunch = JSON.parse(tasksJson ?? '[]') as { taskId: string; command: string }[];
const out = (o: object): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};

async function onOffers(driver: SchedulerDriver, offers: Offer[]): Promise<void> {
  for (const o of offers) {
    if (toLaunch.length === 0) {
      await driver.decline([o.id], { refuseSeconds: 60 });
      continue;
    }
    const batch = toLaunch.splice(0);
    await driver.launch(
      [o.id],
      batch.map((t) => ({
        taskId: t.taskId,
        name: t.taskId,
        agentId: o.agentId,
        resources: Resources.parse('cpus:0.01;mem:8').toWire(),
        command: { value: t.command },
        killGracePeriodMs: 500,
      })),
    );
    out({ event: 'launched', tasks: batch.map((t) => t.taskId) });
  }
}

const driver = new SchedulerDriver({
  natsUrl,
  framework: { id, name: id, failoverTimeoutMs: Number(failoverTimeoutMs) },
  scheduler: {
    registered: async (d, info) => {
      out({ event: 'registered', reregistered: info.reregistered });
      await d.reconcile([]);
    },
    resourceOffers: onOffers,
    statusUpdate: (_d, s) => void out({ event: 'update', taskId: s.taskId, state: s.state, uuid: s.uuid ?? null }),
  },
});
driver.start().catch((err: Error) => {
  out({ event: 'error', message: err.message });
  process.exit(1);
});
