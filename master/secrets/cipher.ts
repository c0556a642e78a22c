/**
 * Secrets at rest: AES-256-GCM (node:crypto) with a 32-byte key kept in a file of its own, never beside the
 * ciphertext (the store refuses a key file inside the master's data dir, so a copy of the data dir — a backup,
 * a stolen disk image of it — holds no secret in the clear).
 *
 *   sealed = version (1 byte, 1) · iv (12 random bytes) · tag (16 bytes) · ciphertext
 *   additional data = the secret's name: a sealed value copied under another name does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { defaultSecretKeyPath } from '../../sdk';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

export function seal(key: Buffer, name: string, plaintext: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(name, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

/** Throws when the value was not sealed under this key and name (tampered, other key, renamed). */
export function unseal(key: Buffer, name: string, sealed: Buffer): Buffer {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION)
    throw new SecretKeyError(`secret '${name}': not a sealed value (version ${sealed[0]})`);
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(name, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SecretKeyError(
      `secret '${name}' does not open with this key (another key file, or the stored value was altered)`,
    );
  }
}

/** The default key file of a cluster (sdk/secret-key-path.ts; `agora up` prints it). */
export { defaultSecretKeyPath };

/** Reads the key file, or creates it (32 random bytes, mode 0400, its directory 0700) when it does not exist. */
export function loadOrCreateKey(path: string): Buffer {
  try {
    return readKey(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  chmodSync(dirname(path), 0o700);
  const key = randomBytes(KEY_BYTES);
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o400);
  try {
    writeSync(fd, key);
  } finally {
    closeSync(fd);
  }
  return key;
}

function readKey(path: string): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = fstatSync(fd);
    if ((st.mode & 0o077) !== 0)
      throw new SecretKeyError(
        `secret key file ${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}); chmod 400 it`,
      );
    const key = readFileSync(fd);
    if (key.length !== KEY_BYTES)
      throw new SecretKeyError(`secret key file ${path} holds ${key.length} bytes, not ${KEY_BYTES}`);
    return key;
  } finally {
    closeSync(fd);
  }
}
