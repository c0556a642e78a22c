/** An app's `secrets` reach its instances' TaskInfo by name (the master puts the values into the LAUNCH). */
import { AppDefinitionSchema } from 'agora/sdk/service';
import { buildTask } from './task-builder';

const placed = {
  offerId: 'o1',
  agentId: 'a1',
  hostname: 'h1',
  attributes: [],
  appId: '/db',
  version: 1,
  resources: [],
  ports: [],
};

it('passes the secrets map into the task, names only; an app without secrets has none', () => {
  const def = AppDefinitionSchema.parse({ id: '/db', cmd: 'run', secrets: { DB_PASSWORD: 'db-pass' } });
  expect(buildTask(def, 1, placed, 'db.1')).toMatchObject({ secrets: { DB_PASSWORD: 'db-pass' } });
  expect(buildTask(AppDefinitionSchema.parse({ id: '/db', cmd: 'run' }), 1, placed, 'db.1')).not.toHaveProperty(
    'secrets',
  );
});

it('refuses a bad reference naming the field', () => {
  const r = AppDefinitionSchema.safeParse({ id: '/db', cmd: 'run', secrets: { DB_PASSWORD: 'a/b' } });
  expect(r.success).toBe(false);
  expect(r.error?.issues[0]).toMatchObject({ path: ['secrets', 'DB_PASSWORD'] });
});
