import { shQuote, taskArgv } from './task-command';
import { parseProcStat } from './proc';
import { parsePasswd } from './users';

it('quotes words for sh', () => {
  expect(shQuote(`it's`)).toBe(`'it'\\''s'`);
});

it('builds the task argv from a shell or plain command', () => {
  expect(taskArgv({ shell: true, value: 'echo hi' })).toEqual(['/bin/sh', '-c', 'echo hi']);
  expect(taskArgv({ shell: false, value: '/bin/echo', arguments: ['a', 'b c'] })).toEqual(['/bin/echo', 'a', 'b c']);
});

it('parses /proc/<pid>/stat even when the command name has spaces and parentheses', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  fields[0] = 'S';
  const st = parseProcStat(`42 (a) b (c)) ${fields.join(' ')}`);
  expect(st).toEqual({ state: 'S', ppid: 4, startTicks: 22 });
});

it('reads users from passwd text', () => {
  const users = parsePasswd(
    'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  );
  expect(users.get('nobody')).toEqual({ name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent' });
});
