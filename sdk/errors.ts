/**
 * Errors as data at the wire, typed errors inside. `ApiError` carries the wire error's code and the field it
 * names; `validationIssues` turns a zod error into `{ field, message }` items with paths like
 * `operations[0].tasks[2].resources`.
 */
import type { z } from 'zod';
import type { ErrorBody } from './protocol/common';

export type ErrorCode = ErrorBody['code'];

export interface Issue {
  field: string;
  message: string;
}

/** The most issues a reply lists one by one (the message counts the rest). */
export const MAX_ISSUES = 20;

export class ApiError extends Error {
  /** Every problem by field, for tools (the message lists them for people). */
  readonly issues?: Issue[];
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    options?: { cause?: unknown; issues?: Issue[] },
  ) {
    super(message, options);
    this.name = 'ApiError';
    this.issues = options?.issues;
  }
  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.field !== undefined) body.field = this.field;
    if (this.issues && this.issues.length > 0) body.issues = this.issues.slice(0, MAX_ISSUES);
    return body;
  }
  static fromBody(body: ErrorBody): ApiError {
    return new ApiError(body.code, body.message, body.field, { issues: body.issues });
  }
  /** An INVALID error naming every problem, in the message and as `issues`. */
  static invalid(issues: Issue[]): ApiError {
    return new ApiError('INVALID', formatIssues(issues), issues[0]?.field, { issues });
  }
}

/** `a.b[2].c` from a zod path. */
export function fieldPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(message)' : out;
}

export function validationIssues(err: z.ZodError, prefix = ''): Issue[] {
  return err.issues.map((i) => ({ field: fieldPath(i.path, prefix), message: i.message }));
}

/**
 * One line naming the problems: `framework.name: Required; tasks[0].resources: ...`. At most `max` are spelled
 * out and the rest counted, so a message with 20,000 bad array items gets a short error (not a reply larger
 * than NATS allows, which would never arrive).
 */
export function formatIssues(issues: Issue[], max = MAX_ISSUES): string {
  const shown = issues
    .slice(0, max)
    .map((i) => `${i.field}: ${i.message}`)
    .join('; ');
  return issues.length > max ? `${shown}; … and ${issues.length - max} more problems` : shown;
}

/** Parses `value` with `schema` or throws an INVALID ApiError naming every field at fault. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw ApiError.invalid(validationIssues(r.error, prefix));
}
