/**
 * The HAProxy configuration for a layout: a stats socket at admin level that hands its listeners to the next
 * worker (`expose-fd listeners`, for seamless reloads in master-worker mode), a server-state file so a reload
 * keeps every slot's address and state, and per load-balanced app one frontend and one backend of slots.
 */
import type { Layout } from './plan';

export interface ConfigPaths {
  /** The runtime API (stats) socket. */
  readonly socket: string;
  /** Where `show servers state` is saved before a reload, for the new worker to load. */
  readonly serverState: string;
}

export interface ConfigOptions {
  /** Address the frontends bind (default all interfaces). */
  readonly bindAddress?: string;
  /** Old workers still holding connections after a reload are stopped after this long. */
  readonly hardStopAfterSeconds?: number;
}

export function renderConfig(layout: Layout, paths: ConfigPaths, opts: ConfigOptions = {}): string {
  const bind = opts.bindAddress && opts.bindAddress !== '0.0.0.0' ? opts.bindAddress : '';
  const lines = [
    '# Written by agora lb; every change is made through the runtime API or a seamless reload. Do not edit.',
    'global',
    `  stats socket ${paths.socket} mode 600 level admin expose-fd listeners`,
    '  stats timeout 10s',
    `  server-state-file ${paths.serverState}`,
    `  hard-stop-after ${opts.hardStopAfterSeconds ?? 300}s`,
    '',
    'defaults',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-request 10s',
    // A connection refused by an instance (e.g. one that stopped listening) is retried on another one.
    '  retries 3',
    '  option redispatch 1',
    '  load-server-state-from-file global',
  ];
  for (const f of layout.frontends) {
    lines.push(
      '',
      `frontend fe_${f.port}`,
      `  mode ${f.mode}`,
      `  bind ${bind}:${f.port}`,
      `  default_backend ${f.backend}`,
      '',
      `# ${f.appId}`,
      `backend ${f.backend}`,
      `  mode ${f.mode}`,
      `  balance ${f.mode === 'http' ? 'roundrobin' : 'leastconn'}`,
      `  server-template s 1-${f.slots} 127.0.0.1:1 disabled`,
    );
  }
  return `${lines.join('\n')}\n`;
}
