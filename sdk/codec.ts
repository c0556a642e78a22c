/**
 * The one wire codec: msgpack (msgpackr), plain structures only (no shared-structure records, so any
 * msgpack library in any language decodes it). Decoding never throws: bad bytes become a DecodeError value.
 *
 * Plain msgpack means no extension types at all. By default msgpackr writes JS `undefined` as fixext 1 type 0
 * (`d4 00 00`), which strict decoders in other languages refuse and lenient ones read as a truthy value; so a
 * property whose value is `undefined` is left out of its map (`skipValues`, like JSON.stringify), and an
 * `undefined` anywhere else (an array element, a bare value) is written as nil. sdk/codec.test.ts holds this.
 */
import { Packr, type Options } from 'msgpackr';

/** `skipValues` is in msgpackr's README and code (pack.js) but missing from its type declarations. */
type PackrOptions = Options & { skipValues?: unknown[] };

const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: 'number',
  variableMapSize: true,
  skipValues: [undefined],
  encodeUndefinedAsNil: true,
} satisfies PackrOptions as Options);

/** Default maximum message size accepted from the wire (bytes). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

export class DecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecodeError';
  }
}

export function decode(bytes: Uint8Array, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): unknown {
  if (bytes.length > maxBytes)
    throw new DecodeError(`message of ${bytes.length} bytes exceeds the maximum of ${maxBytes}`);
  if (bytes.length === 0) throw new DecodeError('empty message');
  try {
    return packr.unpack(bytes);
  } catch (err) {
    throw new DecodeError(`not valid msgpack: ${(err as Error).message}`, { cause: err });
  }
}
