/**
 * Request/reply over NATS with the house envelope: the reply is `{ ok: true, ...result }` or
 * `{ ok: false, error: { code, message, field? } }`. `serveRequests` decodes, validates with a zod schema,
 * calls the handler and always answers; `request` unwraps the envelope or throws `ApiError`.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { z } from 'zod';
import { decode, type DecodeError, encode, DEFAULT_MAX_MESSAGE_BYTES } from './codec';
import { ApiError, validationIssues } from './errors';
import { RateLimitedLog, type Logger } from './log';
import { ErrorBodySchema } from './protocol/common';

export interface ServeOptions {
  maxMessageBytes?: number;
  queue?: string;
}

export function serveRequests<S extends z.ZodType>(
  nc: NatsConnection,
  subject: string,
  schema: S,
  handler: (msg: z.infer<S>, subject: string) => Promise<object> | object,
  log: Logger,
  opts: ServeOptions = {},
): Subscription {
  const warn = new RateLimitedLog(log);
  return nc.subscribe(subject, {
    queue: opts.queue,
    callback: (err, msg) => {
      if (err) {
        log.error({ err, subject }, 'subscription failed');
        return;
      }
      void (async () => {
        const reply = await handleOne(msg.data, msg.subject, subject, schema, handler, opts.maxMessageBytes, warn);
        if (msg.reply) msg.respond(replyBytes(nc, reply));
      })().catch((e) => log.error({ err: e, subject: msg.subject }, 'request handler crashed'));
    },
  });
}

/** The encoded reply, or an error saying it is too large when NATS would refuse to carry it (the caller would hear nothing). */
function replyBytes(nc: NatsConnection, reply: object): Uint8Array {
  const bytes = encode(reply);
  const max = nc.info?.max_payload;
  if (max === undefined || bytes.length <= max) return bytes;
  return encode({
    ok: false,
    error: {
      code: 'INTERNAL',
      message: `the reply of ${bytes.length} bytes exceeds the NATS maximum payload of ${max}`,
    },
  });
}

/**
 * `subject` is the message's own subject (logged, passed to the handler); `served` is the subscription's
 * (e.g. `agora.v1.master.agent.*`), which keys the rate limit, so a flood under many forged ids is still
 * logged only a few times per window.
 */
async function handleOne<S extends z.ZodType>(
  data: Uint8Array,
  subject: string,
  served: string,
  schema: S,
  handler: (msg: z.infer<S>, subject: string) => Promise<object> | object,
  maxBytes: number | undefined,
  warn: RateLimitedLog,
): Promise<object> {
  let raw: unknown;
  try {
    raw = decode(data, maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  } catch (e) {
    const code = (e as Error).message.includes('exceeds') ? 'TOO_LARGE' : 'INVALID';
    warn.warn(`decode:${served}`, { subject, err: (e as DecodeError).message }, 'refused undecodable message');
    return { ok: false, error: { code, message: (e as Error).message } };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const error = ApiError.invalid(validationIssues(parsed.error));
    warn.warn(`invalid:${served}`, { subject, err: error.message }, 'refused invalid message');
    return { ok: false, error: error.toBody() };
  }
  try {
    const result = await handler(parsed.data, subject);
    return { ok: true, ...result };
  } catch (e) {
    if (e instanceof ApiError) {
      warn.warn(`refused:${served}:${e.code}`, { subject, code: e.code, err: e.message }, 'refused request');
      return { ok: false, error: e.toBody() };
    }
    warn.warn(`internal:${served}`, { subject, err: (e as Error).stack }, 'request failed');
    return { ok: false, error: { code: 'INTERNAL', message: (e as Error).message } };
  }
}

export interface RequestOptions {
  timeoutMs?: number;
}

/** Sends `body` and returns the reply's fields (without `ok`), or throws ApiError. */
export async function request<T extends object = Record<string, unknown>>(
  nc: NatsConnection,
  subject: string,
  body: unknown,
  opts: RequestOptions = {},
): Promise<T> {
  let replyBytes: Uint8Array;
  try {
    const msg = await nc.request(subject, encode(body), { timeout: opts.timeoutMs ?? 5000 });
    replyBytes = msg.data;
  } catch (e) {
    const text = (e as Error).message ?? String(e);
    const noResponders = /no responders|503/i.test(text) || (e as { code?: string }).code === '503';
    throw new ApiError(
      'UNAVAILABLE',
      noResponders ? `nobody answers on ${subject}` : `no reply on ${subject}: ${text}`,
      undefined,
      { cause: e },
    );
  }
  const reply = decode(replyBytes) as { ok?: boolean; error?: unknown } & T;
  if (reply && reply.ok === true) return reply;
  const err = ErrorBodySchema.safeParse(reply?.error);
  if (err.success) throw ApiError.fromBody(err.data);
  throw new ApiError('INTERNAL', `malformed reply on ${subject}`);
}
