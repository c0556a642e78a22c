/**
 * The real probes behind a health check: COMMAND runs inside the task (container.exec), HTTP expects a
 * 2xx/3xx answer, TCP expects a connection. Each resolves { ok, message } and never rejects.
 */
import * as net from 'node:net';
import type { HealthCheck } from '../../sdk/protocol/common';
import type { Container } from '../containerizer';
import { HealthCheckConfigError, describeError } from '../errors';

export interface ProbeResult {
  ok: boolean;
  message: string;
}
export type Probe = (timeoutMs: number) => Promise<ProbeResult>;

export function commandProbe(container: Pick<Container, 'exec'>, command: string): Probe {
  return async (timeoutMs) => {
    try {
      const r = await container.exec(command, timeoutMs);
      return {
        ok: r.exitCode === 0,
        message: `command exited with ${r.exitCode}${r.output ? `: ${r.output.trim().slice(-200)}` : ''}`,
      };
    } catch (err) {
      return { ok: false, message: `command could not run: ${describeError(err)}` };
    }
  };
}

export function httpProbe(host: string, port: number, path = '/'): Probe {
  const url = `http://${host}:${port}${path.startsWith('/') ? path : `/${path}`}`;
  return async (timeoutMs) => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      await res.body?.cancel();
      return { ok: res.status >= 200 && res.status < 400, message: `GET ${url} → ${res.status}` };
    } catch (err) {
      return { ok: false, message: `GET ${url} failed: ${describeError(err)}` };
    }
  };
}

export function tcpProbe(host: string, port: number): Probe {
  return (timeoutMs) =>
    new Promise((resolve) => {
      const socket = net.connect({ host, port });
      const done = (r: ProbeResult): void => {
        socket.destroy();
        resolve(r);
      };
      socket.setTimeout(timeoutMs, () =>
        done({ ok: false, message: `tcp ${host}:${port} timed out after ${timeoutMs} ms` }),
      );
      socket.once('connect', () => done({ ok: true, message: `tcp ${host}:${port} connected` }));
      socket.once('error', (err) => done({ ok: false, message: `tcp ${host}:${port} failed: ${err.message}` }));
    });
}

export interface ProbeTarget {
  container: Pick<Container, 'exec'>;
  /** The task's host ports, in offer order (portIndex indexes these). */
  hostPorts: number[];
  host?: string;
}

export function probeFor(check: HealthCheck, t: ProbeTarget): Probe {
  if (check.type === 'COMMAND') {
    if (!check.command) throw new HealthCheckConfigError('a COMMAND check needs a command');
    return commandProbe(t.container, check.command);
  }
  const port = check.port ?? t.hostPorts[check.portIndex ?? 0];
  if (!port)
    throw new HealthCheckConfigError(
      `a ${check.type} check needs a port: none given and the task has no port ${check.portIndex ?? 0}`,
    );
  const host = t.host ?? '127.0.0.1';
  return check.type === 'HTTP' ? httpProbe(host, port, check.path) : tcpProbe(host, port);
}
