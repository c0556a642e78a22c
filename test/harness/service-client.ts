/** The service framework's NATS API as the e2e tests use it (requests through agora/sdk only). */
import { request, type NatsConnection } from 'agora/sdk';
import {
  SERVICE_API_SUBJECT,
  type AppDetail,
  type DeploymentView,
  type ServiceReplies,
  type ServiceRequest,
} from 'agora/sdk/service';
import { eventually } from './cluster';

export function serviceClient(connection: () => NatsConnection) {
  async function api<K extends ServiceRequest['type']>(
    body: Extract<ServiceRequest, { type: K }>,
  ): Promise<ServiceReplies[K]> {
    return request<ServiceReplies[K] & object>(connection(), SERVICE_API_SUBJECT, body, { timeoutMs: 5000 });
  }
  const show = async (appId: string): Promise<AppDetail> => (await api({ type: 'show', appId })).app;
  const deployment = async (id: string): Promise<DeploymentView> =>
    (await api({ type: 'deployment', deploymentId: id })).deployment;
  const succeeded = (id: string, what: string, timeoutMs = 20_000) =>
    eventually(async () => (await deployment(id)).state === 'SUCCEEDED', what, timeoutMs);
  async function removeApp(appId: string): Promise<void> {
    await api({ type: 'remove', appId });
    await eventually(
      async () => !(await api({ type: 'list' })).apps.some((a) => a.id === appId),
      `${appId} removed`,
      20_000,
    );
  }
  return { api, show, deployment, succeeded, removeApp };
}
