#!/usr/bin/env node
// Layer check (part of `npm test`): fails when an import crosses the project's dependency direction.
//   sdk/              imports nothing of the project
//   isolation/        only sdk/
//   master/           sdk/ (never agent/, isolation/, frameworks/, cli/)
//   agent/            sdk/, isolation/ (never master/)
//   frameworks/*      its own files and the public SDK 'agora/sdk'; the service and cron frameworks also the
//                     entry of their own API ('agora/sdk/service', 'agora/sdk/cron': kept in sdk/ so the CLI,
//                     DNS and load balancer share one definition). Never another framework, never the internals.
//   cli/              'agora/sdk', the shipped frameworks' APIs ('agora/sdk/service', 'agora/sdk/cron') and the
//                     operator entry 'agora/sdk/operator' (the master's HTTP API shapes); daemons run as processes
//   dns/, lb/         'agora/sdk' and 'agora/sdk/service' (they follow the service framework's apps)
// 'agora/sdk/internal' (the master↔agent protocol, subjects, streams) is for tests and benchmarks only, which
// may import anything.
//   page/             the status page (runs in the browser): its own files and only *types* from 'agora/sdk'
//                     'agora/sdk/operator' and 'agora/sdk/service' (the API shapes it shows)
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const PUBLIC = 'agora/sdk';
/** Relative imports allowed (top-level folders), or `entries`: only the owner's own files and these SDK entries. */
const rules = {
  sdk: { allow: ['sdk'] },
  isolation: { allow: ['isolation', 'sdk'] },
  master: { allow: ['master', 'sdk'] },
  agent: { allow: ['agent', 'sdk', 'isolation'] },
  'frameworks/service': { entries: [PUBLIC, 'agora/sdk/service'] },
  'frameworks/cron': { entries: [PUBLIC, 'agora/sdk/cron'] },
  frameworks: { entries: [PUBLIC] },
  cli: { entries: [PUBLIC, 'agora/sdk/service', 'agora/sdk/cron', 'agora/sdk/operator'] },
  dns: { entries: [PUBLIC, 'agora/sdk/service'] },
  lb: { entries: [PUBLIC, 'agora/sdk/service'] },
  page: { allow: ['page'], entries: [PUBLIC, 'agora/sdk/operator', 'agora/sdk/service'], typesOnly: true },
};
const ruleOf = (owner, top) => rules[owner] ?? rules[top];

function* walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'assets') yield* walk(p);
    } else if (/\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name)) yield p;
  }
}

const importRe =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
for (const top of Object.keys(rules).filter((k) => !k.includes('/'))) {
  const dir = path.join(root, top);
  if (!fs.existsSync(dir)) continue;
  for (const file of walk(dir)) {
    const rel = path.relative(root, file);
    const owner = top === 'frameworks' ? rel.split(path.sep).slice(0, 2).join('/') : top;
    const rule = ruleOf(owner, top);
    const src = fs.readFileSync(file, 'utf8');
    for (const m of src.matchAll(importRe)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec === 'agora' || spec.startsWith('agora/')) {
        if (rule.entries && !rule.entries.includes(spec))
          problems.push(
            `${rel}: imports '${spec}' — ${owner} may use only ${rule.entries.map((e) => `'${e}'`).join(', ')}`,
          );
        else if (rule.typesOnly && !/^(?:import|export)\s+type\s/.test(m[0]))
          problems.push(
            `${rel}: imports values from '${spec}' — ${owner}/ runs in the browser and may import only types ('import type')`,
          );
        continue;
      }
      if (!spec.startsWith('.')) continue;
      const target = path.relative(root, path.resolve(path.dirname(file), spec));
      const targetTop = target.split(path.sep)[0];
      const targetOwner = targetTop === 'frameworks' ? target.split(path.sep).slice(0, 2).join('/') : targetTop;
      if (rule.entries) {
        if (targetOwner !== owner)
          problems.push(
            `${rel}: imports '${spec}' — ${owner} may use only its own files and ${rule.entries.map((e) => `'${e}'`).join(', ')}`,
          );
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
