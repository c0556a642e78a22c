#!/usr/bin/env node
// Layer check (part of `npm test`): fails when an import crosses the project's dependency direction.
//   sdk/         imports nothing of the project
//   isolation/   only sdk/
//   master/      sdk/ (never agent/, isolation/, frameworks/, cli/)
//   agent/       sdk/, isolation/ (never master/)
//   frameworks/* only the public SDK ('agora/sdk'), never another framework or the internals
//   cli/         only the public SDK ('agora/sdk')
//   dns/         only the public SDK ('agora/sdk') — the cluster's DNS server is a client, like the CLI
//   lb/          only the public SDK ('agora/sdk'), like a framework
//   page/        the status page (runs in the browser): its own files and only *types* from 'agora/sdk'
// Tests and benchmarks may import anything.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const rules = {
  sdk: { allow: ['sdk'], publicSdkOnly: false },
  isolation: { allow: ['isolation', 'sdk'], publicSdkOnly: false },
  master: { allow: ['master', 'sdk'], publicSdkOnly: false },
  agent: { allow: ['agent', 'sdk', 'isolation'], publicSdkOnly: false },
  frameworks: { allow: [], publicSdkOnly: true },
  cli: { allow: ['cli'], publicSdkOnly: true },
  dns: { allow: ['dns'], publicSdkOnly: true },
  lb: { allow: ['lb'], publicSdkOnly: true },
  page: { allow: ['page'], publicSdkOnly: true, sdkTypesOnly: true },
};

function* walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'node_modules' && e.name !== 'assets') yield* walk(p); }
    else if (/\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name)) yield p;
  }
}

const importRe = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
for (const [top, rule] of Object.entries(rules)) {
  const dir = path.join(root, top);
  if (!fs.existsSync(dir)) continue;
  for (const file of walk(dir)) {
    const rel = path.relative(root, file);
    const owner = top === 'frameworks' ? rel.split(path.sep).slice(0, 2).join('/') : top;
    const src = fs.readFileSync(file, 'utf8');
    for (const m of src.matchAll(importRe)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec === 'agora/sdk') {
        if (rule.sdkTypesOnly && !/^(?:import|export)\s+type\s/.test(m[0])) problems.push(`${rel}: imports values from 'agora/sdk' — ${top}/ runs in the browser and may import only types ('import type')`);
        continue;
      }
      if (spec.startsWith('agora/')) { problems.push(`${rel}: imports '${spec}' (only 'agora/sdk' is public)`); continue; }
      if (!spec.startsWith('.')) continue;
      const target = path.relative(root, path.resolve(path.dirname(file), spec));
      const targetTop = target.split(path.sep)[0];
      const targetOwner = targetTop === 'frameworks' ? target.split(path.sep).slice(0, 2).join('/') : targetTop;
      if (rule.publicSdkOnly) {
        if (targetOwner !== owner) problems.push(`${rel}: imports '${spec}' — ${owner} may use only its own files and 'agora/sdk'`);
      } else if (!rule.allow.includes(targetTop)) {
        problems.push(`${rel}: imports '${spec}' — ${top}/ may import only ${rule.allow.join(', ')}`);
      }
    }
  }
}
if (problems.length > 0) {
  console.error(`layer check failed (${problems.length}):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('layer check: ok');
