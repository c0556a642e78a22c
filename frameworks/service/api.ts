/**
 * The service framework's request/reply API on `agora.v1.api.service` (see API.md): decode and validate with
 * the SDK's `ServiceRequestSchema`, dispatch to one small handler per call, reply `{ ok, ... }`.
 */
import { ApiError, serveRequests, type Logger, type NatsConnection } from 'agora/sdk';
import {
  SERVICE_API_SUBJECT,
  ServiceRequestSchema,
  type ServiceReplies,
  type ServiceRequestParsed,
} from 'agora/sdk/service';
import type { ServiceFramework } from './service';
import { appDetail, appSummary, deploymentView, endpointsOf, listDeployments, loadBalancedApps } from './views';

type Handlers = {
  [K in keyof ServiceReplies]: (
    fw: ServiceFramework,
    req: Extract<ServiceRequestParsed, { type: K }>,
  ) => ServiceReplies[K];
};

const handlers: Handlers = {
  deploy: (fw, r) => fw.deploy(r.app, r.force),
  list: (fw) => ({
    apps: [...fw.apps.values()].sort((a, b) => a.def.id.localeCompare(b.def.id)).map((a) => appSummary(fw, a)),
  }),
  show: (fw, r) => ({ app: appDetail(fw, fw.mustApp(r.appId)) }),
  scale: (fw, r) => fw.scale(r.appId, r.instances, r.force),
  restart: (fw, r) => fw.restart(r.appId, r.force),
  remove: (fw, r) => fw.remove(r.appId),
  deployments: (fw, r) => ({ deployments: listDeployments(fw, { appId: r.appId, all: r.all }) }),
  deployment: (fw, r) => {
    const d = fw.deployments.get(r.deploymentId);
    if (!d) throw new ApiError('NOT_FOUND', `no deployment ${r.deploymentId}`, 'deploymentId');
    return { deployment: deploymentView(fw, d) };
  },
  cancel: (fw, r) => fw.cancel(r.deploymentId),
  endpoints: (fw, r) => {
    const ids = r.appId ? [fw.mustApp(r.appId).def.id] : [...fw.apps.keys()].sort();
    return {
      endpoints: ids.map((appId) => ({
        appId,
        portCount: fw.apps.get(appId)!.def.ports.length,
        endpoints: endpointsOf(fw, appId),
      })),
    };
  },
  loadBalancers: (fw) => ({ loadBalancers: loadBalancedApps(fw) }),
  destroyVolumes: (fw, r) => fw.destroyVolumes(r.appId, r.persistenceIds),
};

export function handleServiceRequest(fw: ServiceFramework, req: ServiceRequestParsed): object {
  const h = handlers[req.type] as (fw: ServiceFramework, r: ServiceRequestParsed) => object;
  return h(fw, req);
}

export function serveServiceApi(nc: NatsConnection, fw: ServiceFramework, log: Logger) {
  return serveRequests(nc, SERVICE_API_SUBJECT, ServiceRequestSchema, (req) => handleServiceRequest(fw, req), log);
}
