/**
 * Who may use which secret, and how a secret shows where it must not be read. Pure.
 *
 * A task (or an app, or a job) names the secrets it wants as `secrets: { DB_PASSWORD: 'db-pass' }` — an
 * environment variable to the secret's name (sdk `SecretRefsSchema`). Each secret has a grant list of principals
 * (`agora secret grant db-pass spark`; `*` for every framework). At ACCEPT the core refuses, as TASK_ERROR, a
 * task naming a secret that does not exist or that its framework's principal is not granted (`secretRefsProblem`,
 * over a `SecretCatalog` of names and grants only — never values). The shell then puts the values into that
 * task's LAUNCH alone (`secretEnv`, launch-secrets.ts). Everywhere else a reference shows as `<secret:db-pass>`.
 */
import type { SecretRefs } from '../../sdk';

/** What the core may know of the secrets: who may read each. Synchronous and in memory; never a value. */
export interface SecretCatalog {
  /** The principals granted the secret (`*`: every framework), or undefined when there is no such secret. */
  grantsOf(name: string): ReadonlySet<string> | undefined;
}

/** A catalog without secrets (a core nobody gave a store to): every reference is refused. */
export const NO_SECRETS: SecretCatalog = { grantsOf: () => undefined };

export class SecretAccessError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'SecretAccessError';
  }
}

/** May `principal` read `name` under these grants? `*` grants every framework, one without a principal included. */
export const mayRead = (grants: ReadonlySet<string>, principal: string | undefined): boolean =>
  grants.has('*') || (principal !== undefined && grants.has(principal));

/**
 * Why a task's references cannot go into a LAUNCH for a framework with this principal, naming the field, the
 * secret and the missing permission; undefined when every one may.
 */
export function secretRefsProblem(
  catalog: SecretCatalog,
  principal: string | undefined,
  refs: Readonly<SecretRefs> | undefined,
  field: string,
  kind: 'secrets' | 'secretFiles' = 'secrets',
): string | undefined {
  for (const [env, name] of Object.entries(refs ?? {})) {
    const at = `${field}.${kind}.${env}`;
    const grants = catalog.grantsOf(name);
    if (!grants) return `${at}: no secret '${name}' (create it with agora secret put ${name})`;
    if (mayRead(grants, principal)) continue;
    const who = principal === undefined ? 'a framework without a principal' : `principal '${principal}'`;
    return `${at}: ${who} may not read secret '${name}' (permission secret:read not granted; agora secret grant ${name} ${principal ?? '<principal>'})`;
  }
  return undefined;
}

/** What a reference shows as anywhere but the LAUNCH. */
export const secretPlaceholder = (name: string): string => `<secret:${name}>`;

/** The references as shown: `{ DB_PASSWORD: '<secret:db-pass>' }`. */
export function maskSecretRefs(refs: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
  if (!refs) return undefined;
  return Object.fromEntries(Object.entries(refs).map(([env, name]) => [env, secretPlaceholder(name)]));
}

/**
 * The environment a LAUNCH carries for the task: each variable to its secret's value. `values` holds the
 * values of the names referenced (the store's `reveal`); a name missing there is an error naming it.
 */
export function secretEnv(
  refs: Readonly<Record<string, string>>,
  values: ReadonlyMap<string, string>,
  field: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, secret] of Object.entries(refs)) {
    const value = values.get(secret);
    if (value === undefined)
      throw new SecretAccessError(
        `${field}.${name}`,
        `${field}.${name}: no secret '${secret}' (create it with agora secret put ${secret})`,
      );
    env[name] = value;
  }
  return env;
}
