/**
 * Who may use which secret, and how a secret shows where it must not be read. Pure.
 *
 * A task (or an app, or a job) names the secrets it wants as `secrets: { DB_PASSWORD: 'db-pass' }` — an
 * environment variable to the secret's name. The master resolves them only into the LAUNCH of that task, and
 * only when the framework's principal is granted every name (its ACL's secret grants, from master/authz: a set
 * of names, or '*' for all). Everywhere else (state API, events, the page, logs, `agora app show`) the value is
 * never present: a reference shows as `<secret:db-pass>`.
 */
export const SECRET_NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export type SecretGrants = ReadonlySet<string> | '*';

export class SecretAccessError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'SecretAccessError';
  }
}

/** Throws naming the field when a reference is malformed (a bad env or secret name). */
export function checkSecretRefs(refs: Readonly<Record<string, string>>, field: string): void {
  for (const [env, name] of Object.entries(refs)) {
    if (!ENV_NAME.test(env))
      throw new SecretAccessError(`${field}.${env}`, `${field}.${env}: '${env}' is not an environment variable name`);
    if (!SECRET_NAME.test(name))
      throw new SecretAccessError(
        `${field}.${env}`,
        `${field}.${env}: '${name}' is not a secret name (lower case letters, digits, . _ -)`,
      );
  }
}

/** Throws naming the principal and the first secret it was not granted. */
export function checkSecretAccess(
  principal: string,
  granted: SecretGrants,
  refs: Readonly<Record<string, string>>,
  field: string,
): void {
  for (const [env, name] of Object.entries(refs)) {
    if (granted === '*' || granted.has(name)) continue;
    throw new SecretAccessError(
      `${field}.${env}`,
      `${field}.${env}: principal '${principal}' may not read secret '${name}'`,
    );
  }
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
        `${field}.${name}: no secret '${secret}' (agora secret put ${secret})`,
      );
    env[name] = value;
  }
  return env;
}
