/**
 * Runs the real `dig` (Debian's dnsutils) against a DNS server and reads its answer: status, flags, and the
 * answer/authority/additional sections as `[name, ttl, class, type, data…]` rows. Asynchronous on purpose: the
 * server under test usually runs in the test's own process and must keep answering while dig waits.
 *
 *   const r = await dig(dns.port, 'cart.shop.agora', 'A');            // r.status 'NOERROR', r.answer rows
 *   const t = await dig(dns.port, '_port0._tcp.cart.shop.agora', 'SRV', ['+tcp']);
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface DigResult {
  status: string;
  flags: string[];
  answer: string[][];
  authority: string[][];
  additional: string[][];
  text: string;
}

export function digBinary(): string {
  if (existsSync('/usr/bin/dig')) return '/usr/bin/dig';
  throw new Error('dig is not installed: run `bash scripts/setup.sh --test` (Debian: apt-get install dnsutils)');
}

export function dig(
  port: number,
  name: string,
  type: string,
  extra: string[] = [],
  server = '127.0.0.1',
): Promise<DigResult> {
  const args = [`@${server}`, '-p', String(port), '+norecurse', '+time=2', '+tries=1', ...extra, name, type];
  return new Promise((resolve, reject) => {
    execFile(digBinary(), args, { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err && !stdout) {
        reject(new Error(`dig ${args.join(' ')} failed: ${stderr || err.message}`));
        return;
      }
      try {
        resolve(parseDig(stdout));
      } catch (e) {
        reject(new Error(`dig ${args.join(' ')}: ${(e as Error).message}\n${stdout}`));
      }
    });
  });
}

export function parseDig(text: string): DigResult {
  const header = /status: ([A-Z]+)/.exec(text);
  if (!header) throw new Error('no status line in dig output');
  // With a TCP retry after truncation dig prints both replies; the last header is the one that counts.
  const last = text.lastIndexOf(';; ->>HEADER<<-');
  const tail = text.slice(last);
  const status = /status: ([A-Z]+)/.exec(tail)![1];
  const flags = (/;; flags: ([a-z ]*);/.exec(tail)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  const section = (title: string): string[][] => {
    const m = new RegExp(`;; ${title} SECTION:\\n([\\s\\S]*?)(?:\\n\\n|$)`).exec(tail);
    return m
      ? m[1]
          .split('\n')
          .filter((l) => l && !l.startsWith(';'))
          .map((l) => l.trim().split(/\s+/))
      : [];
  };
  return {
    status,
    flags,
    answer: section('ANSWER'),
    authority: section('AUTHORITY'),
    additional: section('ADDITIONAL'),
    text,
  };
}
