/**
 * A strict msgpack reader for tests: the subset docs/protocol.md promises (nil, booleans, integers, floats,
 * strings, binary, arrays, maps with string keys) and nothing else. Any extension type (fixext/ext 8/16/32 —
 * msgpackr's `undefined` is `d4 00 00`, its Date is type -1), the reserved byte 0xc1, a non-string map key,
 * invalid UTF-8 or trailing bytes throw an error naming the byte offset — what a strict decoder in another
 * language does. Written independently of msgpackr so it cannot share msgpackr's leniency.
 */
export class StrictMsgpackError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
    this.name = 'StrictMsgpackError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function strictDecode(bytes: Uint8Array): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > bytes.length) throw new StrictMsgpackError(`truncated: ${n} more bytes needed`, pos);
  };
  const u8 = () => {
    need(1);
    return bytes[pos++];
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(pos);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos);
    pos += 4;
    return v;
  };
  const str = (n: number) => {
    need(n);
    const at = pos;
    pos += n;
    try {
      return utf8.decode(bytes.subarray(at, at + n));
    } catch {
      throw new StrictMsgpackError('invalid UTF-8 in a string', at);
    }
  };
  const bin = (n: number) => {
    need(n);
    const b = bytes.slice(pos, pos + n);
    pos += n;
    return b;
  };
  const array = (n: number) => {
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(value());
    return out;
  };
  const map = (n: number) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const at = pos;
      const k = value();
      if (typeof k !== 'string')
        throw new StrictMsgpackError(`map key of type ${typeof k} (only strings are allowed)`, at);
      out[k] = value();
    }
    return out;
  };
  function value(): unknown {
    const at = pos;
    const b = u8();
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if ((b & 0xf0) === 0x80) return map(b & 0x0f);
    if ((b & 0xf0) === 0x90) return array(b & 0x0f);
    if ((b & 0xe0) === 0xa0) return str(b & 0x1f);
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return bin(u8());
      case 0xc5:
        return bin(u16());
      case 0xc6:
        return bin(u32());
      case 0xca: {
        need(4);
        const v = view.getFloat32(pos);
        pos += 4;
        return v;
      }
      case 0xcb: {
        need(8);
        const v = view.getFloat64(pos);
        pos += 8;
        return v;
      }
      case 0xcc:
        return u8();
      case 0xcd:
        return u16();
      case 0xce:
        return u32();
      case 0xcf: {
        need(8);
        const v = Number(view.getBigUint64(pos));
        pos += 8;
        return v;
      }
      case 0xd0: {
        need(1);
        const v = view.getInt8(pos);
        pos += 1;
        return v;
      }
      case 0xd1: {
        need(2);
        const v = view.getInt16(pos);
        pos += 2;
        return v;
      }
      case 0xd2: {
        need(4);
        const v = view.getInt32(pos);
        pos += 4;
        return v;
      }
      case 0xd3: {
        need(8);
        const v = Number(view.getBigInt64(pos));
        pos += 8;
        return v;
      }
      case 0xd9:
        return str(u8());
      case 0xda:
        return str(u16());
      case 0xdb:
        return str(u32());
      case 0xdc:
        return array(u16());
      case 0xdd:
        return array(u32());
      case 0xde:
        return map(u16());
      case 0xdf:
        return map(u32());
      default: {
        // 0xc7-0xc9 ext 8/16/32, 0xd4-0xd8 fixext 1/2/4/8/16; 0xc1 is never used.
        const ext = (b >= 0xc7 && b <= 0xc9) || (b >= 0xd4 && b <= 0xd8);
        throw new StrictMsgpackError(
          ext
            ? `extension type (0x${b.toString(16)}) where plain msgpack was promised`
            : `reserved byte 0x${b.toString(16)}`,
          at,
        );
      }
    }
  }
  const result = value();
  if (pos !== bytes.length) throw new StrictMsgpackError(`${bytes.length - pos} trailing bytes after the value`, pos);
  return result;
}
