#!/usr/bin/env node
// Bundles the status page (page/) into dist/page with esbuild: app.js plus the static files.
// The master serves dist/page when it is current and otherwise builds the sources itself on first use
// (master/http/page-assets.ts), so this step is for packaging, not a prerequisite for running.
const { copyFileSync, existsSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
const esbuild = require('esbuild');

const root = join(__dirname, '..');
const src = join(root, 'page');
const out = join(root, 'dist', 'page');
// The same options the master uses when it builds on demand, read from the TypeScript source through tsx.
require('tsx/cjs');
const { bundleOptions, STATIC_FILES } = require(join(root, 'master', 'http', 'page-assets.ts'));

mkdirSync(out, { recursive: true });
esbuild.buildSync({ ...bundleOptions(src), outfile: join(out, 'app.js') });
for (const f of STATIC_FILES) if (existsSync(join(src, f))) copyFileSync(join(src, f), join(out, f));
process.stdout.write(`status page built into ${out}\n`);
