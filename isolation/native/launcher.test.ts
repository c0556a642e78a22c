import { INIT_SCRIPT, launchChain, shQuote, taskArgv } from './launcher';
import { parseProcStat } from './proc';
import { parsePasswd } from './users';

it('quotes words for sh', () => {
  expect(shQuote(`it's`)).toBe(`'it'\\''s'`);
});

it('builds the task argv from a shell or plain command', () => {
  expect(taskArgv({ shell: true, value: 'echo hi' })).toEqual(['/bin/sh', '-c', 'echo hi']);
  expect(taskArgv({ shell: false, value: '/bin/echo', arguments: ['a', 'b c'] })).toEqual(['/bin/echo', 'a', 'b c']);
});

it('joins every cgroup before exec, drops to the task user, and runs pid 1 that records the status', () => {
  const plan = launchChain(['/bin/sleep', '5'], {
    procsFiles: ['/cg/cpu/t/cgroup.procs', '/cg/memory/t/cgroup.procs'], statusFile: '/sbx/.agora-exit',
    user: { uid: 65534, gid: 65534 }, unshareBin: '/usr/bin/unshare', setprivBin: '/usr/bin/setpriv',
  });
  expect(plan.file).toBe('/bin/sh');
  const script = plan.args[1]!;
  expect(script.indexOf(`echo $$ > '/cg/cpu/t/cgroup.procs' && echo $$ > '/cg/memory/t/cgroup.procs'`)).toBe(2);
  expect(script.indexOf('exec')).toBeGreaterThan(script.indexOf('cgroup.procs'));
  expect(script).toContain(`'--pid' '--fork' '--mount-proc' '--ipc' '--uts'`);
  expect(script).toContain(`'--reuid=65534' '--regid=65534' '--clear-groups' '--no-new-privs'`);
  expect(script).toContain(shQuote(INIT_SCRIPT));
  expect(plan.args.slice(2)).toEqual(['agora-launch', '/bin/sleep', '5']);
});

it('parses /proc/<pid>/stat even when the command name has spaces and parentheses', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  fields[0] = 'S';
  const st = parseProcStat(`42 (a) b (c)) ${fields.join(' ')}`);
  expect(st).toEqual({ state: 'S', ppid: 4, startTicks: 22 });
});

it('reads users from passwd text', () => {
  const users = parsePasswd('root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  expect(users.get('nobody')).toEqual({ name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent' });
});
