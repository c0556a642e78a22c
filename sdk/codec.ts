/**
 * The one wire codec: msgpack (msgpackr), plain structures only (no shared-structure records, so any
 * msgpack library in any language decodes it). Decoding never throws: bad bytes become a DecodeError value.
 */
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number', variableMapSize: true });

/** Default maximum message size accepted from the wire (bytes). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

export class DecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) { super(message, options); this.name = 'DecodeError'; }
}

export function decode(bytes: Uint8Array, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): unknown {
  if (bytes.length > maxBytes) throw new DecodeError(`message of ${bytes.length} bytes exceeds the maximum of ${maxBytes}`);
  if (bytes.length === 0) throw new DecodeError('empty message');
  try {
    return packr.unpack(bytes);
  } catch (err) {
    throw new DecodeError(`not valid msgpack: ${(err as Error).message}`, { cause: err });
  }
}
