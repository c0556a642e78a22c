/**
 * The status page's files. The page is a client of this API with its own folder (page/: index.html,
 * style.css, src/*.ts for the browser); `npm run build` (scripts/build-page.js) bundles them into dist/page. The master serves dist/page
 * when it is at least as new as the sources, and otherwise bundles the sources itself in memory with esbuild
 * on first use (~50 ms), so a fresh checkout needs no separate build step. Nothing is fetched from a CDN.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type * as Esbuild from 'esbuild';

export interface PageFile {
  body: string | Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** The repository (or installed package) root: the nearest folder above this file with a package.json. */
function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = join(dir, '..');
    if (up === dir) return __dirname;
    dir = up;
  }
  return dir;
}

export const PAGE_SOURCE_DIR = join(packageRoot(), 'page');
export const PAGE_BUILD_DIR = join(packageRoot(), 'dist', 'page');
/** Files copied as they are besides the bundle. */
export const STATIC_FILES = ['index.html', 'style.css', 'favicon.svg'];

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** esbuild options shared by the on-demand build and scripts/build-page.js. */
export function bundleOptions(sourceDir: string) {
  return {
    entryPoints: [join(sourceDir, 'src', 'main.ts')],
    bundle: true,
    format: 'iife' as const,
    target: 'es2022',
    minify: true,
    sourcemap: false,
    logLevel: 'silent' as const,
    legalComments: 'none' as const,
  };
}

export class PageAssets {
  private files?: Promise<Map<string, PageFile>>;

  constructor(
    private readonly sourceDir = PAGE_SOURCE_DIR,
    private readonly buildDir = PAGE_BUILD_DIR,
  ) {}

  /** Starts loading (or building) the page in the background. */
  warm(): void {
    // Not lost: a failed build is forgotten (load() resets), so the first page request builds again and answers with the error.
    this.load().catch(() => undefined);
  }

  async get(name: string): Promise<PageFile | undefined> {
    return (await this.load()).get(name);
  }

  private load(): Promise<Map<string, PageFile>> {
    this.files ??= this.read().catch((e) => {
      this.files = undefined;
      throw e;
    });
    return this.files;
  }

  private async read(): Promise<Map<string, PageFile>> {
    const built = join(this.buildDir, 'app.js');
    const sourcesNewer =
      existsSync(this.sourceDir) && (!existsSync(built) || newestMtime(this.sourceDir) > statSync(built).mtimeMs);
    const out = new Map<string, PageFile>();
    const dir = sourcesNewer ? this.sourceDir : this.buildDir;
    for (const f of STATIC_FILES)
      if (existsSync(join(dir, f)))
        out.set(f, { body: readFileSync(join(dir, f)), type: TYPES[f.slice(f.lastIndexOf('.'))] });
    if (!sourcesNewer) {
      if (!existsSync(built))
        throw new Error(
          `the status page is missing: neither ${this.sourceDir} nor ${built} exists (run npm run build)`,
        );
      out.set('app.js', { body: readFileSync(built), type: TYPES['.js'] });
      return out;
    }
    const esbuild = require('esbuild') as typeof Esbuild;
    const result = await esbuild.build({ ...bundleOptions(this.sourceDir), write: false });
    out.set('app.js', { body: Buffer.from(result.outputFiles[0].contents), type: TYPES['.js'] });
    return out;
  }
}
