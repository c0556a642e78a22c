/** Branded ids mean something: tsc refuses one kind of id where another is expected (`npm run typecheck`). */
import { AgentIdSchema, FrameworkIdSchema, TaskIdSchema, type AgentId, type FrameworkId } from './protocol/common';

it('a FrameworkId cannot be passed as an AgentId, nor a plain string as either', () => {
  const framework = FrameworkIdSchema.parse('fw-1');
  // @ts-expect-error a FrameworkId is not an AgentId
  const agent: AgentId = framework;
  // @ts-expect-error a plain string is not a FrameworkId
  const plain: FrameworkId = 'fw-1';
  // @ts-expect-error a TaskId is not a FrameworkId
  const task: FrameworkId = TaskIdSchema.parse('t-1');
  // At run time they are strings; the schemas validate them.
  expect([agent, plain, task]).toEqual(['fw-1', 'fw-1', 't-1']);
  expect(() => AgentIdSchema.parse('no spaces allowed')).toThrow();
});
