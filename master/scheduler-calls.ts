/**
 * Router for framework calls: looks up the framework named by the subject, checks the call may be made,
 * dispatches to one handler per call. The subject's framework id is authoritative (NATS permissions confine
 * each framework to its own subject), so a framework can never act as another.
 */
import { ApiError, type FrameworkId, type SchedulerCall } from '../sdk';
import type { Master } from './master';
import { handleSubscribe } from './handlers/subscribe';
import { handleAccept } from './handlers/accept';
import { handleDecline } from './handlers/decline';
import { handleKill } from './handlers/kill';
import { handleReconcile } from './handlers/reconcile';
import { handleTeardown } from './handlers/teardown';
import { handleRevive, handleSuppress } from './handlers/revive-suppress';

export async function handleSchedulerCall(m: Master, frameworkId: FrameworkId, received: SchedulerCall, caller: string): Promise<object> {
  const call = m.authz.admit(caller, frameworkId, received);
  if (call.type === 'SUBSCRIBE') {
    if (call.framework.id !== frameworkId) throw new ApiError('FORBIDDEN', `framework.id '${call.framework.id}' does not match the subject's framework '${frameworkId}'`, 'framework.id');
    return handleSubscribe(m, call.framework);
  }
  const fw = m.state.frameworks.get(frameworkId);
  if (!fw) throw new ApiError('NOT_SUBSCRIBED', `framework '${frameworkId}' is not subscribed; send SUBSCRIBE first`);
  fw.lastSeenAt = m.clock.now();
  if (!fw.connected) m.liveness.reconnectFramework(fw);
  switch (call.type) {
    case 'HEARTBEAT': return { masterId: m.id };
    case 'ACCEPT': return handleAccept(m, fw, call);
    case 'DECLINE': return handleDecline(m, fw, call);
    case 'KILL': return handleKill(m, fw, call);
    case 'RECONCILE': return handleReconcile(m, fw, call);
    case 'REVIVE': return handleRevive(m, fw, call);
    case 'SUPPRESS': return handleSuppress(m, fw, call);
    case 'TEARDOWN': return handleTeardown(m, fw);
  }
}
