import { ApiError, NO_LAUNCH_GRANTS, Resources, TaskInfoSchema, type TaskInfo } from '../sdk';
import { checkConfinement, checkRootUser, isRootUser, offeredPorts } from './task-confinement';
import { allocateUid, parseUidRange } from './task-uids';

const docker = (container: object, resources = 'cpus:0.1;mem:32;ports:[31000-31002]'): TaskInfo =>
  TaskInfoSchema.parse({
    taskId: 't',
    name: 't',
    agentId: 'a',
    resources: Resources.parse(resources).toWire(),
    command: { value: 'true' },
    container: { type: 'DOCKER', image: 'img', ...container },
  });

const refusal = (fn: () => void): ApiError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error('expected a refusal');
};

it("an explicit hostPort must be one of the task's offered ports, named with the field", () => {
  expect(offeredPorts(docker({}))).toEqual([31000, 31001, 31002]);
  expect(() =>
    checkConfinement(
      docker({ portMappings: [{ containerPort: 80, hostPort: 31001 }, { containerPort: 81 }] }),
      NO_LAUNCH_GRANTS,
    ),
  ).not.toThrow();
  const e = refusal(() =>
    checkConfinement(
      docker({ portMappings: [{ containerPort: 80 }, { containerPort: 22, hostPort: 22 }] }),
      NO_LAUNCH_GRANTS,
    ),
  );
  expect(e).toMatchObject({ code: 'INVALID', field: 'task.container.portMappings[1].hostPort' });
  expect(e.message).toBe(
    "task.container.portMappings[1].hostPort: host port 22 is not among the task's offered ports (its ports are 31000-31002); take it from the offer's ports or leave hostPort 0",
  );
  expect(
    refusal(() =>
      checkConfinement(
        docker({ portMappings: [{ containerPort: 80, hostPort: 8080 }] }, 'cpus:0.1;mem:32'),
        NO_LAUNCH_GRANTS,
      ),
    ).message,
  ).toMatch(/it has no ports resource/);
});

it('network host needs the hostNetwork grant', () => {
  expect(refusal(() => checkConfinement(docker({ network: 'host' }), NO_LAUNCH_GRANTS))).toMatchObject({
    code: 'FORBIDDEN',
    field: 'task.container.network',
  });
  expect(() => checkConfinement(docker({ network: 'host' }), { ...NO_LAUNCH_GRANTS, hostNetwork: true })).not.toThrow();
  expect(() => checkConfinement(docker({ network: 'none' }), NO_LAUNCH_GRANTS)).not.toThrow();
});

it('root needs runAsRoot or the agent ACL; root is recognised by name or id', () => {
  for (const u of ['root', '0', '0:0', 'root:wheel', '000']) expect(isRootUser(u)).toBe(true);
  for (const u of [undefined, 'nobody', '1000', '10', 'rooty']) expect(isRootUser(u)).toBe(false);
  const e = refusal(() => checkRootUser('root', 'task.command.user', 'ci', NO_LAUNCH_GRANTS, false));
  expect(e).toMatchObject({ code: 'FORBIDDEN', field: 'task.command.user' });
  expect(e.message).toBe("task.command.user: principal 'ci' may not run tasks as root ('root'): not granted runAsRoot");
  expect(() =>
    checkRootUser('0', 'framework.user', 'ci', { ...NO_LAUNCH_GRANTS, runAsRoot: true }, false),
  ).not.toThrow();
  expect(() => checkRootUser('root', 'task.command.user', 'ci', NO_LAUNCH_GRANTS, true)).not.toThrow();
  expect(() => checkRootUser('nobody', 'task.command.user', 'ci', NO_LAUNCH_GRANTS, false)).not.toThrow();
});

it('per-task uids go round the range, skipping those in use, and wrap', () => {
  const range = parseUidRange('5000-5003')!;
  expect(allocateUid(range, undefined, new Set())).toEqual({ uid: 5000, next: 5001 });
  expect(allocateUid(range, 5001, new Set([5001, 5002]))).toEqual({ uid: 5003, next: 5000 });
  expect(allocateUid(range, 9999, new Set([5000]))).toEqual({ uid: 5001, next: 5002 });
  expect(() => allocateUid(range, 5000, new Set([5000, 5001, 5002, 5003]))).toThrow(
    /every uid of the task uid range 5000-5003 is in use/,
  );
  expect(parseUidRange(undefined)).toEqual({ first: 200000, last: 265535 });
  expect(parseUidRange('off')).toBeUndefined();
  for (const bad of ['0-10', '5-x', '3000-2000']) expect(() => parseUidRange(bad)).toThrow(/task uid range/);
});
