/** TEARDOWN: the framework leaves for good; its tasks are killed and its offers rescinded. */
import type { Master } from '../master';
import type { FrameworkRecord } from '../state';
import { authorizeOwnership } from '../authz/checks';

export async function handleTeardown(m: Master, fw: FrameworkRecord): Promise<object> {
  authorizeOwnership(m.authz, fw, 'teardown');
  await m.liveness.removeFramework(fw, 'framework tore itself down');
  return {};
}
