/**
 * Where a cluster's secret key lives by default (master/secrets/cipher.ts reads or creates it; `agora up` says
 * where it is): `~/.config/agora/keys/<hash of the master's data dir>.key` (`$XDG_CONFIG_HOME` honoured) — per
 * cluster, and outside its data dir, so a copy of the data dir holds no secret in the clear.
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultSecretKeyPath(masterDataDir: string, home = homedir()): string {
  const id = createHash('sha256').update(masterDataDir).digest('hex').slice(0, 16);
  return join(process.env.XDG_CONFIG_HOME ?? join(home, '.config'), 'agora', 'keys', `${id}.key`);
}
