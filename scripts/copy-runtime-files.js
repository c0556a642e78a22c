#!/usr/bin/env node
// Copies the non-TypeScript files the compiled code loads at run time into dist/, beside their .js:
// the native launch server and log rotator helper (isolation/native/*.pl, found through __dirname).
const { copyFileSync, chmodSync, mkdirSync } = require('node:fs');
const { dirname, join } = require('node:path');

const root = join(__dirname, '..');
const FILES = ['isolation/native/launch-server.pl', 'isolation/native/log-rotator.pl'];

for (const rel of FILES) {
  const to = join(root, 'dist', rel);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(join(root, rel), to);
  chmodSync(to, 0o755);
  process.stdout.write(`copied ${rel} into dist/\n`);
}
