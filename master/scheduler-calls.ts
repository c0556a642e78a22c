/**
 * Shell for framework calls: each decoded call goes to one core transition, and the effects it returns are
 * carried out (Master.run). The caller is the principal the call comes from; today that is the framework id of
 * the subject (NATS permissions confine each framework to its own subject), so a framework can never act as another.
 */
import type { FrameworkId, SchedulerCall } from '../sdk';
import type { Master } from './master';

export async function handleSchedulerCall(m: Master, frameworkId: FrameworkId, call: SchedulerCall): Promise<object> {
  const caller: string = frameworkId;
  const core = m.core;
  const now = m.clock.now();
  switch (call.type) {
    case 'SUBSCRIBE':
      core.checkSubscribe(caller, call.framework);
      await m.ensureConsumer(call.framework.id);
      // SUBSCRIBED is published after the reply so the driver sees the reply first.
      return m.run(core.subscribe(caller, call.framework, m.clock.now()), { deferMessages: true });
    case 'HEARTBEAT':
      return m.run(core.heartbeat(caller, frameworkId, now));
    case 'ACCEPT':
      return m.run(core.accept(caller, frameworkId, call, now));
    case 'DECLINE':
      return m.run(core.decline(caller, frameworkId, call, now));
    case 'KILL':
      return m.run(core.kill(caller, frameworkId, call, now));
    case 'RECONCILE':
      return m.run(core.reconcile(caller, frameworkId, call, now));
    case 'REVIVE':
      return m.run(core.revive(caller, frameworkId, call, now));
    case 'SUPPRESS':
      return m.run(core.suppress(caller, frameworkId, call, now));
    case 'TEARDOWN':
      return m.runAwaiting(core.teardown(caller, frameworkId, now), { settle: true });
    case 'USAGE':
      return m.run(core.usage(caller, frameworkId, call, now));
    case 'DESTROY_VOLUMES': {
      core.checkDestroyVolumes(caller, frameworkId, call);
      const r = await m.sendToAgent<{ destroyed: string[]; missing: string[] }>(call.agentId, {
        type: 'DESTROY_VOLUMES',
        frameworkId,
        persistenceIds: call.persistenceIds,
      });
      m.log.info(
        { frameworkId, agentId: call.agentId, destroyed: r.destroyed, missing: r.missing },
        'persistent volumes destroyed',
      );
      return { destroyed: r.destroyed, missing: r.missing };
    }
  }
}
