/** A job's `secrets` reach its runs' TaskInfo by name (the master puts the values into the LAUNCH). */
import { Resources } from 'agora/sdk';
import { JobSpecSchema } from 'agora/sdk/cron';
import { taskFor } from './matcher';

const run = (spec: unknown) => ({ id: 7, spec: JobSpecSchema.parse(spec), scheduledAt: 0, dueAt: 0, attempt: 1 });

it('passes the secrets map into the task, names only; a job without secrets has none', () => {
  const r = Resources.parse('cpus:0.1;mem:64');
  const t = taskFor(run({ name: 'backup', cmd: './backup.sh', secrets: { S3_KEY: 's3-key' } }), 'a1', r);
  expect(t).toMatchObject({ secrets: { S3_KEY: 's3-key' } });
  expect(t.command.env).not.toHaveProperty('S3_KEY');
  expect(taskFor(run({ name: 'backup', cmd: './backup.sh' }), 'a1', r)).not.toHaveProperty('secrets');
});

it('refuses a bad reference naming the field', () => {
  const r = JobSpecSchema.safeParse({ name: 'backup', cmd: 'x', secrets: { 'not-env': 's3-key' } });
  expect(r.success).toBe(false);
  expect(r.error?.issues[0]?.path).toEqual(['secrets', 'not-env']);
});
