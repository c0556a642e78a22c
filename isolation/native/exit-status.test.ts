import { classifyExit } from './exit-status';

const base = { oomKills: 0, memPeakBytes: 0, killRequested: false };

it('reads a normal exit from the status file', () => {
  expect(classifyExit({ ...base, statusText: '3\n', init: { code: 3, signal: null } })).toEqual({
    exitCode: 3,
    signal: null,
    reason: 'EXITED',
    message: 'exited with code 3',
  });
});

it('decodes a shell status of 128+N as signal N', () => {
  expect(classifyExit({ ...base, statusText: '143\n' })).toMatchObject({
    reason: 'SIGNALED',
    signal: 'SIGTERM',
    exitCode: null,
  });
});

it('reports OOM first, with the limit and the peak', () => {
  expect(
    classifyExit({
      ...base,
      statusText: '137',
      oomKills: 1,
      memLimitBytes: 32 << 20,
      memPeakBytes: 32 << 20,
      killRequested: true,
    }),
  ).toEqual({
    exitCode: null,
    signal: 'SIGKILL',
    reason: 'OOM',
    message: 'OOM: limit 32 MiB, peak 32 MiB',
    oom: { limitBytes: 32 << 20, peakBytes: 32 << 20 },
  });
});

it('reports a requested kill as KILLED, keeping the status the task chose', () => {
  expect(classifyExit({ ...base, killRequested: true, statusText: '7' })).toMatchObject({
    reason: 'KILLED',
    exitCode: 7,
    message: 'killed (exited with code 7)',
  });
  expect(classifyExit({ ...base, killRequested: true, init: { code: null, signal: 'SIGKILL' } })).toMatchObject({
    reason: 'KILLED',
    signal: 'SIGKILL',
    message: 'killed (ended by SIGKILL)',
  });
});

it('reports AGENT_RESTART when nothing is known after a restart', () => {
  expect(classifyExit({ ...base })).toMatchObject({ reason: 'AGENT_RESTART', exitCode: null, signal: null });
});

it('reports LAUNCH_FAILED when the init ended without the task ever writing a status', () => {
  expect(classifyExit({ ...base, init: { code: 125, signal: null } })).toMatchObject({
    reason: 'LAUNCH_FAILED',
    message: 'task did not start (init exited with code 125; see stderr)',
  });
});
