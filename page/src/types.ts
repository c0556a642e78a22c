/** Shapes the page reads from the master's API: the SDK's definitions (sdk/protocol/operator.ts; docs/api.md). */
export type {
  AgentDetailView,
  AgentView,
  ClusterEventView as ClusterEvent,
  FrameworkView,
  RoleView,
  SummaryView as Summary,
  TaskView,
  UtilizationSample as Sample,
  AuthSelfView,
  HttpPermission,
} from 'agora/sdk/operator';
export type { Usage } from 'agora/sdk';
