/**
 * The isolation layer's entry point for the agent: the containerizer port, its three implementations,
 * health checks. Nothing here imports the master, the agent or the CLI (only `sdk/`).
 *
 *   import { NativeContainerizer, DockerContainerizer, HealthChecker, probeFor } from '../isolation';
 *   const native = new NativeContainerizer({ agentId, taskUser: 'nobody', log });
 *   const docker = new DockerContainerizer({ agentId, dockerHost: opts.dockerHost, log });
 *   const byKind = { native, docker };
 *   const container = await byKind[kind].launch(spec);       // checkpoint container.checkpoint
 *   const exit = await container.wait();                     // → TASK_FINISHED / FAILED / KILLED + reason
 */
export type {
  Container,
  ContainerCheckpoint,
  ContainerExit,
  Containerizer,
  ContainerizerKind,
  ContainerSpec,
  ContainerUsage,
  ExitReason,
} from './containerizer';
export { NativeContainerizer, type NativeContainerizerOptions, STATUS_FILE } from './native/native-containerizer';
export { DockerContainerizer, type DockerContainerizerOptions } from './docker/docker-containerizer';
export { FakeContainerizer, FakeWorld, FakeTask, type FakeContainerizerOptions } from './fake/fake-containerizer';
export { HealthChecker, type HealthCheckerOptions } from './health/health-checker';
export { HealthMachine, policyOf, type HealthPolicy, type HealthSnapshot } from './health/health-machine';
export { probeFor, commandProbe, httpProbe, tcpProbe, type Probe, type ProbeResult } from './health/probes';
export { detectCgroups } from './cgroups/detect';
export { type LogRotation, ROTATED_STREAMS, parseByteSize } from './logs/log-state';
export { readRotatedLog, type LogRead } from './logs/read-log';
export {
  openConfined,
  insideRoot,
  isPlainRelative,
  ConfinedOpenError,
  type ConfinedOpenFailure,
} from './logs/confined-open';
export { diskVerdict, measureDiskBytes, type DiskVerdict } from './disk/disk-usage';
export { UserDirectory } from './native/users';
export {
  CgroupError,
  CheckpointError,
  DockerEngineError,
  HealthCheckConfigError,
  IsolationError,
  LaunchError,
  UnavailableError,
  describeError,
} from './errors';
