import { ApiError } from '../sdk';
import { parseTaskUserAcl, taskUserFor } from './task-users';

describe('task users', () => {
  const acl = parseTaskUserAcl('ci=builder, deploy;*=www-data');
  const task = (user?: string) => ({ command: { user } });

  it('runs as the default task user unless another is asked for', () => {
    expect(taskUserFor(task(), {}, 'nobody', acl)).toBe('nobody');
    expect(taskUserFor(task('nobody'), { principal: 'x' }, 'nobody', acl)).toBe('nobody');
  });

  it('grants users by principal, and to everyone with *', () => {
    expect(taskUserFor(task('deploy'), { principal: 'ci' }, 'nobody', acl)).toBe('deploy');
    expect(taskUserFor(task(), { principal: 'ci', user: 'builder' }, 'nobody', acl)).toBe('builder');
    expect(taskUserFor(task('www-data'), { principal: 'anyone' }, 'nobody', acl)).toBe('www-data');
  });

  it('refuses anything not granted — root included — naming the field and the fix', () => {
    const e = (() => {
      try {
        taskUserFor(task('root'), { principal: 'ci' }, 'nobody', acl);
      } catch (x) {
        return x as ApiError;
      }
    })();
    expect(e).toBeInstanceOf(ApiError);
    expect(e?.field).toBe('task.command.user');
    expect(e?.message).toMatch(/principal 'ci' may not run tasks as 'root'.*--task-user-acl 'ci=root'/);
    expect(() => taskUserFor(task(), { user: 'deploy' }, 'nobody', acl)).toThrow(
      /framework.user: principal '\*' may not run tasks as 'deploy'/,
    );
  });

  it("leaves a Docker task to its image's user unless one is asked for (and granted)", () => {
    expect(taskUserFor(task(), {}, undefined, acl)).toBeUndefined();
    expect(taskUserFor(task('www-data'), {}, undefined, acl)).toBe('www-data');
    expect(() => taskUserFor(task('root'), {}, undefined, acl)).toThrow(/may not run tasks as 'root'/);
  });

  it('refuses a malformed ACL', () => {
    expect(() => parseTaskUserAcl('ci')).toThrow(/expected principal=user/);
    expect(parseTaskUserAcl('').size).toBe(0);
  });
});
