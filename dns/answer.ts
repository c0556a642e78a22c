/**
 * One DNS query → one response, as an authoritative-only server for the zone `agora.` answers it. Pure: the zone
 * and the decoded query in, the encoded response out (the transport in server.ts only moves bytes).
 *
 *   a name in the zone with records of the asked type   NOERROR, AA, the records (SRV: targets' A in additional)
 *   a name in the zone without them (AAAA, TXT…)         NOERROR, AA, no answer, the SOA in authority (NODATA)
 *   a name in the zone that does not exist               NXDOMAIN, AA, the SOA in authority
 *   a name outside the zone                              REFUSED (not a recursive resolver)
 *   opcode other than QUERY                              NOTIMP;  not exactly one question: FORMERR
 *
 * Over UDP a response larger than the client's buffer (512 bytes, or its EDNS size up to 4096) goes out with the
 * TC bit and only its question, so the client asks again over TCP.
 */
import * as packet from 'dns-packet';
import { inZone, type NameRecords, type Zone } from './zone';

/** Time to live of every record and of negative answers: short, so clients follow instances closely. */
export const TTL_S = 5;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const CLASSIC_UDP_BYTES = 512;
const MAX_UDP_BYTES = 4096;
/** The payload size we announce in our own OPT record (the DNS flag day 2020 value). */
const OUR_EDNS_BYTES = 1232;

export type Transport = 'udp' | 'tcp';

type Answer = packet.Answer;

export function soaRecord(zone: Zone): Answer {
  return {
    name: zone.origin,
    type: 'SOA',
    ttl: TTL_S,
    class: 'IN',
    data: {
      mname: `ns.${zone.origin}`,
      rname: `hostmaster.${zone.origin}`,
      serial: zone.serial >>> 0,
      refresh: 60,
      retry: 10,
      expire: 86_400,
      minimum: TTL_S,
    },
  };
}

interface Found {
  answers: Answer[];
  additionals: Answer[];
}

function recordsFor(zone: Zone, owner: string, name: string, records: NameRecords, type: string): Found {
  const a = (): Answer[] => records.a.map((ip) => ({ name: owner, type: 'A', class: 'IN', ttl: TTL_S, data: ip }));
  const srv = (): Answer[] =>
    records.srv.map((s) => ({
      name: owner,
      type: 'SRV',
      class: 'IN',
      ttl: TTL_S,
      data: { priority: 0, weight: 1, port: s.port, target: s.target },
    }));
  const glue = (): Answer[] =>
    [...new Set(records.srv.map((s) => s.target))].flatMap((t) =>
      (zone.names.get(t)?.a ?? []).map((ip): Answer => ({ name: t, type: 'A', class: 'IN', ttl: TTL_S, data: ip })),
    );
  const soa = (): Answer[] => (name === zone.origin ? [soaRecord(zone)] : []);
  switch (type) {
    case 'A':
      return { answers: a(), additionals: [] };
    case 'SRV':
      return { answers: srv(), additionals: glue() };
    case 'SOA':
      return { answers: soa(), additionals: [] };
    case 'ANY':
      return { answers: [...soa(), ...a(), ...srv()], additionals: glue() };
    default:
      return { answers: [], additionals: [] };
  }
}

/** The client's UDP buffer: 512 bytes, or what its EDNS OPT record says (at most 4096). */
function udpLimit(query: packet.DecodedPacket): number {
  const opt = (query.additionals ?? []).find((r) => r.type === 'OPT') as packet.OptAnswer | undefined;
  if (!opt) return CLASSIC_UDP_BYTES;
  return Math.min(MAX_UDP_BYTES, Math.max(CLASSIC_UDP_BYTES, opt.udpPayloadSize ?? CLASSIC_UDP_BYTES));
}

const optRecord = (): Answer => ({
  name: '.',
  type: 'OPT',
  udpPayloadSize: OUR_EDNS_BYTES,
  extendedRcode: 0,
  ednsVersion: 0,
  flags: 0,
  flag_do: false,
  options: [],
});

/** The encoded response to a decoded query; `undefined` for a packet that is itself a response (ignored). */
export function answerQuery(zone: Zone, query: packet.DecodedPacket, transport: Transport): Buffer | undefined {
  if (query.type === 'response') return undefined;
  const flags = query.flags ?? 0;
  const opcode = (flags >> 11) & 0xf;
  const edns = (query.additionals ?? []).some((r) => r.type === 'OPT');
  const questions = query.questions ?? [];
  const reply = (
    rcode: number,
    found: Found = { answers: [], additionals: [] },
    authoritative = false,
    soa = false,
  ): packet.Packet => ({
    id: query.id,
    type: 'response',
    flags:
      (opcode << 11) | (flags & packet.RECURSION_DESIRED) | (authoritative ? packet.AUTHORITATIVE_ANSWER : 0) | rcode,
    questions,
    answers: found.answers,
    authorities: soa ? [soaRecord(zone)] : [],
    additionals: [...found.additionals, ...(edns ? [optRecord()] : [])],
  });
  const limit = transport === 'udp' ? udpLimit(query) : 65_535;
  if (opcode !== 0) return encodeWithin(reply(RCODE.NOTIMP), limit);
  if (questions.length !== 1) return encodeWithin(reply(RCODE.FORMERR), limit);
  const q = questions[0];
  const name = q.name.toLowerCase().replace(/\.$/, '');
  if (!inZone(zone, name) || (q.class !== 'IN' && q.class !== 'ANY')) return encodeWithin(reply(RCODE.REFUSED), limit);
  const records = zone.names.get(name);
  if (!records) return encodeWithin(reply(RCODE.NXDOMAIN, undefined, true, true), limit);
  const found = recordsFor(zone, q.name.replace(/\.$/, ''), name, records, q.type);
  return encodeWithin(reply(RCODE.NOERROR, found, true, found.answers.length === 0), limit);
}

/** Encodes; if it does not fit, sends the question alone with TC set (and the OPT record, if the query had one). */
export function encodeWithin(response: packet.Packet, limitBytes: number): Buffer {
  const full = packet.encode(response);
  if (full.length <= limitBytes) return full;
  return packet.encode({
    ...response,
    flags: (response.flags ?? 0) | packet.TRUNCATED_RESPONSE,
    answers: [],
    authorities: [],
    additionals: (response.additionals ?? []).filter((r) => r.type === 'OPT'),
  });
}

/** A FORMERR for bytes that do not decode as a DNS message but carry a header (id and opcode kept). */
export function formatError(bytes: Buffer): Buffer | undefined {
  if (bytes.length < 12) return undefined;
  if ((bytes.readUInt16BE(2) & 0x8000) !== 0) return undefined; // a response: never answer it
  const opcode = (bytes.readUInt16BE(2) >> 11) & 0xf;
  return packet.encode({
    id: bytes.readUInt16BE(0),
    type: 'response',
    flags: (opcode << 11) | RCODE.FORMERR,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  });
}
