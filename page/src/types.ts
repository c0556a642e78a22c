/** Shapes the page reads from the master's API: the SDK's definitions (sdk/protocol/operator.ts; docs/api.md). */
export type {
  AgentDetailView, AgentView, ClusterEventView as ClusterEvent, FrameworkView, RoleView, SummaryView as Summary, TaskView, Usage,
  UtilizationSample as Sample, AuthSelfView, HttpPermission,
} from 'agora/sdk';
