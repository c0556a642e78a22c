/**
 * What this host offers: detected cpus, memory (less a share kept for the system, as Mesos does), disk of the
 * work dir, and the default port range — or exactly what the operator declared with `--resources`.
 */
import { statfsSync } from 'node:fs';
import * as os from 'node:os';
import { Resources, type Attribute } from '../sdk';

const MB = 1024 * 1024;

export function hostResources(workDir: string, declared?: string): Resources {
  const given = declared ? Resources.parse(declared) : Resources.EMPTY;
  const has = (name: string) => given.names().includes(name);
  let out = given;
  if (!has('cpus')) out = out.add(Resources.scalar('cpus', os.cpus().length));
  if (!has('mem')) {
    const totalMb = Math.floor(os.totalmem() / MB);
    out = out.add(Resources.scalar('mem', Math.max(32, totalMb - Math.min(1024, Math.floor(totalMb / 2)))));
  }
  if (!has('disk')) {
    const st = statfsSync(workDir);
    const freeMb = Math.floor((st.bavail * st.bsize) / MB);
    out = out.add(Resources.scalar('disk', Math.max(0, freeMb - Math.min(5120, Math.floor(freeMb / 2)))));
  }
  if (!has('ports')) out = out.add(Resources.ranges('ports', [[31000, 32000]]));
  return out;
}

/** `rack:r1;zone:a;gen:3;ids:[1-4]` → attributes (text, scalar, ranges). */
export function parseAttributes(text: string | undefined): Attribute[] {
  if (!text || text.trim() === '') return [];
  return text
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((part) => {
      const i = part.indexOf(':');
      if (i <= 0) throw new Error(`attribute '${part}': expected name:value, e.g. rack:r1`);
      const name = part.slice(0, i).trim();
      const value = part.slice(i + 1).trim();
      if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`attribute '${part}': bad name '${name}'`);
      if (/^\[.*\]$/.test(value)) {
        const ranges = value
          .slice(1, -1)
          .split(',')
          .map((r) => {
            const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(r);
            if (!m) throw new Error(`attribute '${part}': bad range '${r}'`);
            return [Number(m[1]), Number(m[2] ?? m[1])] as [number, number];
          });
        return { name, ranges };
      }
      if (/^-?\d+(\.\d+)?$/.test(value)) return { name, scalar: Number(value) };
      return { name, text: value };
    });
}
