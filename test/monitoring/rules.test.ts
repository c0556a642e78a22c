/**
 * The shipped Prometheus files (deploy/prometheus/) pass promtool: the rules parse (`check rules`), behave as
 * their unit tests say (`test rules agora-rules.test.yml`: each alert fires when it should and not before),
 * and the scrape configuration is valid (`check config`).
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEPLOY_DIR, promtool } from './prometheus';

jest.setTimeout(30_000);

it('promtool check rules accepts agora-rules.yml', async () => {
  const r = await promtool(['check', 'rules', 'agora-rules.yml']);
  expect(r).toMatchObject({ code: 0 });
  expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
});

it('promtool test rules: every alert fires on its inputs, and only then', async () => {
  const r = await promtool(['test', 'rules', 'agora-rules.test.yml']);
  expect(`${r.stdout}${r.stderr}`).toMatch(/SUCCESS/);
  expect(r.code).toBe(0);
});

it('promtool check config accepts prometheus.yml (with its rule file and the viewer token file it reads)', async () => {
  // As installed per docs/monitoring.md: the token file (git-ignored, made by `agora token create`) beside the config.
  const dir = mkdtempSync(join(tmpdir(), 'agora-prom-config-'));
  try {
    for (const f of ['prometheus.yml', 'agora-rules.yml']) copyFileSync(join(DEPLOY_DIR, f), join(dir, f));
    writeFileSync(join(dir, 'agora-metrics.token'), 'agora_example\n', { mode: 0o600 });
    const r = await promtool(['check', 'config', 'prometheus.yml'], undefined, dir);
    expect(`${r.stdout}${r.stderr}`).toMatch(/is valid prometheus config file syntax/);
    expect(r.code).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
