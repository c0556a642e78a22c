/**
 * `GET /api/v1/events`: the cluster's events as server-sent events, for the page and `agora events`.
 *
 *   id: <seq>            ← the master's event sequence number (Last-Event-ID on reconnect replays what was missed)
 *   event: <TYPE>        ← AGENT_ADDED, TASK_UPDATED, OFFERS_MADE, … (cluster-events.ts)
 *   data: {json}
 *
 * The first event is `hello` (masterId, seq), so a client notices a restarted master and reloads its view.
 * `?types=TASK_UPDATED,AGENT_ADDED` narrows the stream. A comment line every 15 s keeps proxies from closing it.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { ClusterEvent } from '../cluster-events';
import type { Master } from '../master';
import { badRequest } from './errors';

export const EVENT_TYPES = [
  'AGENT_ADDED',
  'AGENT_REACTIVATED',
  'AGENT_UNREACHABLE',
  'AGENT_REMOVED',
  'AGENT_DRAINING',
  'AGENT_DRAINED',
  'AGENT_UNDRAINED',
  'FRAMEWORK_ADDED',
  'FRAMEWORK_REMOVED',
  'FRAMEWORK_DISCONNECTED',
  'FRAMEWORK_RECONNECTED',
  'TASK_UPDATED',
  'OFFERS_MADE',
  'OFFER_RESCINDED',
  'ROLE_UPDATED',
  'ALLOCATION_CYCLE',
] as const;
const REPLAY_LIMIT = 1000;
const KEEPALIVE_MS = 15_000;

type Stamped = ClusterEvent & { seq: number; timestamp: number };

export function registerEventRoutes(app: FastifyInstance, m: Master): void {
  const recent: Stamped[] = [];
  const streams = new Set<ServerResponse>();
  const unsubscribe = m.events.subscribe((e) => {
    recent.push(e);
    if (recent.length > REPLAY_LIMIT) recent.splice(0, recent.length - REPLAY_LIMIT);
  });
  app.addHook('preClose', async () => {
    unsubscribe();
    for (const s of streams) s.end();
  });

  app.get<{ Querystring: { types?: string } }>('/api/v1/events', async (req, reply) => {
    for (const k of Object.keys(req.query))
      if (k !== 'types') throw badRequest(`unknown query parameter '${k}' (known: types)`);
    const types = parseTypes(req.query.types);
    const lastId = Number(req.headers['last-event-id']);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(
      `retry: 2000\nevent: hello\ndata: ${JSON.stringify({ masterId: m.id, startedAt: m.startedAt, seq: recent.at(-1)?.seq ?? 0 })}\n\n`,
    );
    const send = (e: Stamped) => {
      if (!types || types.has(e.type)) res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    };
    if (Number.isInteger(lastId) && lastId > 0) for (const e of recent) if (e.seq > lastId) send(e);
    streams.add(res);
    const stop = m.events.subscribe(send);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    const end = () => {
      clearInterval(keepalive);
      stop();
      streams.delete(res);
    };
    req.raw.on('close', end);
    res.on('close', end);
  });
}

function parseTypes(text: string | undefined): Set<string> | undefined {
  if (text === undefined || text === '') return undefined;
  const types = text
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  const known = new Set<string>(EVENT_TYPES);
  const bad = types.filter((t) => !known.has(t));
  if (bad.length > 0)
    throw badRequest(
      `types: unknown event type${bad.length > 1 ? 's' : ''} ${bad.join(', ')} (known: ${EVENT_TYPES.join(', ')})`,
    );
  return new Set(types);
}
