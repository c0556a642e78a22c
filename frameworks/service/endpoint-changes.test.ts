import { changedApps, endpointSignatures } from './endpoint-changes';
import type { App, Instance } from './core/types';
import { NO_BACKOFF } from './core/types';
import { AppDefinitionSchema } from 'agora/sdk/service';

const app = (id: string, ports: number[] = [0]): App => ({
  def: AppDefinitionSchema.parse({ id, cmd: 'x', ports }),
  version: 1,
  backoff: NO_BACKOFF,
});
const inst = (id: string, appId: string, over: Partial<Instance> = {}): Instance => ({
  instanceId: id,
  taskId: id,
  appId,
  version: 1,
  agentId: 'a1',
  hostname: 'h1',
  attributes: [],
  ports: [31000],
  checked: false,
  state: 'RUNNING',
  launchedAt: 0,
  ...over,
});

describe('endpoint changes', () => {
  const apps = new Map([
    ['/a', app('/a')],
    ['/b', app('/b')],
  ]);
  const base = endpointSignatures(apps, [inst('i1', '/a'), inst('i2', '/b')]);

  it('sees nothing when nothing that endpoints answers changed (a staging instance, a health report on an unchecked one)', () => {
    expect(
      changedApps(
        base,
        endpointSignatures(apps, [inst('i1', '/a'), inst('i2', '/b'), inst('i3', '/a', { state: 'STAGING' })]),
      ),
    ).toEqual([]);
    expect(
      changedApps(base, endpointSignatures(apps, [inst('i1', '/a', { healthy: false }), inst('i2', '/b')])),
    ).toEqual([]);
  });

  it('names an app whose instance turned unready (unhealthy with checks, killing) or went, or a new ready one', () => {
    expect(
      changedApps(
        base,
        endpointSignatures(apps, [inst('i1', '/a', { checked: true, healthy: false }), inst('i2', '/b')]),
      ),
    ).toEqual(['/a']);
    expect(
      changedApps(base, endpointSignatures(apps, [inst('i1', '/a'), inst('i2', '/b', { state: 'KILLING' })])),
    ).toEqual(['/b']);
    expect(changedApps(base, endpointSignatures(apps, [inst('i2', '/b')]))).toEqual(['/a']);
    expect(changedApps(base, endpointSignatures(apps, [inst('i1', '/a'), inst('i2', '/b'), inst('i4', '/b')]))).toEqual(
      ['/b'],
    );
  });

  it('names apps that appeared, went, or changed their port count', () => {
    const more = new Map([...apps, ['/c', app('/c')]]);
    expect(changedApps(base, endpointSignatures(more, [inst('i1', '/a'), inst('i2', '/b')]))).toEqual(['/c']);
    expect(changedApps(base, endpointSignatures(new Map([['/a', app('/a')]]), [inst('i1', '/a')]))).toEqual(['/b']);
    expect(
      changedApps(
        base,
        endpointSignatures(
          new Map([
            ['/a', app('/a', [0, 0])],
            ['/b', app('/b')],
          ]),
          [inst('i1', '/a'), inst('i2', '/b')],
        ),
      ),
    ).toEqual(['/a']);
  });
});
