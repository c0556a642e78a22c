/**
 * Run parameters, as a pure function: the values a run gets from what a manual run gave and the job's declared
 * parameters. Scheduled, dependent and retried runs give nothing (a retry keeps its first attempt's values).
 *
 *   resolveParameters(spec.parameters, { DATE: '2026-12-01' })  // → { ok: true, values: { DATE: '2026-12-01', MODE: 'full' } }
 */
import type { JobParameter } from 'agora/sdk/cron';

export interface ParameterProblem {
  field: string;
  message: string;
}

export type ResolvedParameters =
  { ok: true; values: Record<string, string> } | { ok: false; problems: ParameterProblem[] };

/**
 * Declared defaults overlaid with `given`. An undeclared name is refused (a typo must not run the job with its
 * default silently); a required parameter without a default must be given. A parameter with neither a value
 * nor a default is left out of the environment.
 */
export function resolveParameters(
  declared: readonly JobParameter[],
  given: Readonly<Record<string, string>> = {},
): ResolvedParameters {
  const byName = new Map(declared.map((p) => [p.name, p]));
  const problems: ParameterProblem[] = [];
  const known =
    declared.length === 0
      ? 'the job declares no parameters'
      : `the job declares ${declared.map((p) => p.name).join(', ')}`;
  for (const name of Object.keys(given)) {
    if (!byName.has(name))
      problems.push({ field: `parameters.${name}`, message: `unknown parameter '${name}': ${known}` });
  }
  const values: Record<string, string> = {};
  for (const p of declared) {
    const value = given[p.name] ?? p.default;
    if (value !== undefined) values[p.name] = value;
    else if (p.required)
      problems.push({
        field: `parameters.${p.name}`,
        message: `parameter '${p.name}' is required${p.description ? ` (${p.description})` : ''}: give --param ${p.name}=…`,
      });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, values };
}

/** The values a scheduled or dependent run gets: every default (validation keeps required-without-default off such jobs). */
export function defaultParameters(declared: readonly JobParameter[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const p of declared) if (p.default !== undefined) values[p.name] = p.default;
  return values;
}
