import { ApiError, TaskInfoSchema, VolumeSchema } from '../sdk';
import { checkHostVolumes, grants, parseHostVolumeAcl, volumeSpecs } from './host-volumes';

const acl = parseHostVolumeAcl('ci=/data/*,/srv/cache; *=/tmp/shared');

it('grants a directory and everything below it with /*, an exact path otherwise', () => {
  expect(grants('/data/*', '/data')).toBe(true);
  expect(grants('/data/*', '/data/a/b')).toBe(true);
  expect(grants('/data/*', '/database')).toBe(false);
  expect(grants('/srv/cache', '/srv/cache/')).toBe(true);
  expect(grants('/srv/cache', '/srv/cache/x')).toBe(false);
});

it('lets a principal mount what it or every framework was granted, and refuses the rest naming the field', () => {
  const task = (hostPath: string) => ({
    volumes: [
      VolumeSchema.parse({ containerPath: 'ok', hostPath: '/tmp/shared' }),
      VolumeSchema.parse({ containerPath: 'd', hostPath }),
    ],
  });
  expect(() => checkHostVolumes(task('/data/x'), { principal: 'ci' }, acl)).not.toThrow();
  expect(() => checkHostVolumes(task('/tmp/shared'), {}, acl)).not.toThrow();
  let err: unknown;
  try {
    checkHostVolumes(task('/data/x'), { principal: 'web' }, acl);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ApiError);
  expect(err).toMatchObject({ code: 'FORBIDDEN', field: 'task.volumes[1].hostPath' });
  expect((err as Error).message).toBe(
    "task.volumes[1].hostPath: principal 'web' may not mount '/data/x' on this agent (grant it with --host-volume-acl 'web=/data/x')",
  );
});

it('grants nothing by default', () => {
  expect(() =>
    checkHostVolumes(
      { volumes: [VolumeSchema.parse({ containerPath: 'd', hostPath: '/tmp' })] },
      {},
      parseHostVolumeAcl(undefined),
    ),
  ).toThrow(/may not mount/);
  expect(() => checkHostVolumes({}, {}, parseHostVolumeAcl(undefined))).not.toThrow();
});

it('refuses malformed ACLs', () => {
  for (const bad of ['ci', 'ci=data', 'ci=/data/../etc', 'ci=/da*ta'])
    expect(() => parseHostVolumeAcl(bad)).toThrow(/host volume ACL/);
});

it('the schema refuses container paths outside the sandbox, naming the field', () => {
  const parse = (containerPath: string, hostPath = '/data') =>
    TaskInfoSchema.safeParse({
      taskId: 't',
      name: 't',
      agentId: 'a',
      resources: [],
      command: { value: 'true' },
      volumes: [{ containerPath, hostPath }],
    });
  for (const [cp, msg] of [
    ['/etc', /relative to the sandbox/],
    ['a/../../x', /inside the sandbox/],
    ['..', /inside the sandbox/],
    ['.', /below the sandbox/],
  ] as const) {
    const r = parse(cp);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({
      path: ['volumes', 0, 'containerPath'],
      message: expect.stringMatching(msg),
    });
  }
  expect(parse('data', 'relative').error!.issues[0]).toMatchObject({ path: ['volumes', 0, 'hostPath'] });
  expect(parse('data/sub').success).toBe(true);
  expect(volumeSpecs(parse('data/sub/').data!.volumes)).toEqual([
    { hostPath: '/data', containerPath: 'data/sub', readOnly: true },
  ]);
});

it('resolves symlinks before checking: a link inside a granted directory does not escape the grant', () => {
  const links: Record<string, string> = { '/data/evil': '/etc', '/alias': '/data' };
  const realpath = (p: string): string => {
    for (const [from, to] of Object.entries(links))
      if (p === from || p.startsWith(`${from}/`)) return realpath(to + p.slice(from.length));
    if (['/', '/data', '/data/x', '/etc', '/etc/ssh', '/srv', '/srv/cache'].includes(p)) return p;
    throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  };
  const task = (hostPath: string) => ({ volumes: [VolumeSchema.parse({ containerPath: 'd', hostPath })] });
  let err: unknown;
  try {
    checkHostVolumes(task('/data/evil/ssh'), { principal: 'ci' }, acl, realpath);
  } catch (e) {
    err = e;
  }
  expect(err).toMatchObject({ code: 'FORBIDDEN', field: 'task.volumes[0].hostPath' });
  expect((err as Error).message).toContain("'/data/evil/ssh' (a symbolic link to '/etc/ssh')");
  // What is mounted is the resolved path; a missing tail stays as written.
  expect(checkHostVolumes(task('/data/x/new/dir'), { principal: 'ci' }, acl, realpath)).toEqual([
    expect.objectContaining({ hostPath: '/data/x/new/dir' }),
  ]);
  // A path through a link that stays inside the grant is fine, and mounted by its resolved path.
  const viaAlias = parseHostVolumeAcl('ci=/alias/*');
  expect(checkHostVolumes(task('/alias/x'), { principal: 'ci' }, viaAlias, realpath)).toEqual([
    expect.objectContaining({ hostPath: '/data/x' }),
  ]);
  expect(() => checkHostVolumes(task('/alias/evil'), { principal: 'ci' }, viaAlias, realpath)).toThrow(
    /symbolic link to '\/etc'/,
  );
});
