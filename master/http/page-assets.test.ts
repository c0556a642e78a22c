/**
 * How the master finds the status page: a current `npm run build` output is served as it is; sources newer than
 * the build (or no build at all) are bundled in memory with esbuild; neither is a clear error.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PAGE_SOURCE_DIR, PageAssets } from './page-assets';
import { parseDeadline } from '../drain';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agora-page-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const text = (f: { body: string | Buffer } | undefined) => f?.body.toString() ?? '';

it('bundles the sources in memory when there is no build', async () => {
  const assets = new PageAssets(PAGE_SOURCE_DIR, join(dir, 'none'));
  const js = await assets.get('app.js');
  expect(js?.type).toMatch(/javascript/);
  expect(text(js)).toContain('/api/v1/events');
  expect(text(await assets.get('index.html'))).toContain('<script src="/app.js"');
  expect(await assets.get('nothing.txt')).toBeUndefined();
});

it('serves a build that is newer than the sources, and rebuilds when the sources are newer', async () => {
  const src = join(dir, 'src-copy');
  cpSync(PAGE_SOURCE_DIR, src, { recursive: true });
  const built = join(dir, 'built');
  mkdirSync(built);
  writeFileSync(join(built, 'app.js'), '/* prebuilt */');
  writeFileSync(join(built, 'index.html'), '<!-- prebuilt -->');
  const old = new Date(Date.now() - 60_000);
  const setTree = (d: string, t: Date): void => {
    for (const e of readdirSync(d, { withFileTypes: true }))
      e.isDirectory() ? setTree(join(d, e.name), t) : utimesSync(join(d, e.name), t, t);
  };
  setTree(src, old);
  expect(text(await new PageAssets(src, built).get('app.js'))).toBe('/* prebuilt */');
  expect(text(await new PageAssets(src, built).get('index.html'))).toBe('<!-- prebuilt -->');
  utimesSync(join(src, 'src/main.ts'), new Date(), new Date());
  expect(text(await new PageAssets(src, built).get('app.js'))).toContain('/api/v1/events');
});

it('fails clearly when neither sources nor a build exist', async () => {
  await expect(new PageAssets(join(dir, 'a'), join(dir, 'b')).get('app.js')).rejects.toThrow(/run npm run build/);
});

it('parses drain deadlines', () => {
  expect(parseDeadline('10m')).toBe(600_000);
  expect(parseDeadline('30s')).toBe(30_000);
  expect(parseDeadline('500ms')).toBe(500);
  expect(parseDeadline('0')).toBe(0);
  expect(parseDeadline(1500)).toBe(1500);
  for (const bad of ['soon', '10', '-1s', '31d', -1, 1.5, null, {}]) expect(parseDeadline(bad)).toBeUndefined();
});

it('type-checks the browser sources (DOM types, their own tsconfig)', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', join(PAGE_SOURCE_DIR, 'tsconfig.json')], { encoding: 'utf8' });
  expect(run.stdout + run.stderr).toBe('');
  expect(run.status).toBe(0);
}, 60_000);
