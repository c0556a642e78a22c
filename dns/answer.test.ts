import * as packet from 'dns-packet';
import { answerQuery, RCODE, TTL_S } from './answer';
import { buildZone } from './zone';

const zone = buildZone({
  apps: [
    {
      appId: '/shop/cart',
      portCount: 1,
      endpoints: [
        { host: 'n1', ports: [31001] },
        { host: 'n2', ports: [31002] },
      ],
    },
  ],
  addresses: new Map([
    ['n1', ['10.0.0.1']],
    ['n2', ['10.0.0.2']],
  ]),
  serial: 42,
});

function ask(
  name: string,
  type: string,
  opts: { transport?: 'udp' | 'tcp'; edns?: number; opcode?: number; questions?: number; class?: string } = {},
) {
  const q = packet.decode(
    packet.encode({
      id: 4242,
      type: 'query',
      flags: packet.RECURSION_DESIRED | ((opts.opcode ?? 0) << 11),
      questions: Array.from({ length: opts.questions ?? 1 }, () => ({
        name,
        type: type as packet.RecordType,
        class: (opts.class ?? 'IN') as packet.RecordClass,
      })),
      additionals: opts.edns
        ? [
            {
              name: '.',
              type: 'OPT',
              udpPayloadSize: opts.edns,
              extendedRcode: 0,
              ednsVersion: 0,
              flags: 0,
              flag_do: false,
              options: [],
            },
          ]
        : [],
    }),
  );
  const bytes = answerQuery(zone, q, opts.transport ?? 'udp')!;
  const r = packet.decode(bytes);
  return { ...r, bytes, rcode: (r.flags ?? 0) & 0xf };
}
/** The record's data (an OPT record has none). */
const dataOf = (a: packet.Answer): unknown => ('data' in a ? a.data : undefined);

describe('answerQuery', () => {
  it('answers A for an app with its hosts, authoritative, short TTL, id and RD echoed', () => {
    const r = ask('cart.shop.agora', 'A');
    expect(r).toMatchObject({ id: 4242, rcode: RCODE.NOERROR, flag_aa: true, flag_rd: true, flag_tc: false });
    expect(r.answers!.map((a) => [a.name, a.type, (a as { ttl: number }).ttl, dataOf(a)])).toEqual([
      ['cart.shop.agora', 'A', TTL_S, '10.0.0.1'],
      ['cart.shop.agora', 'A', TTL_S, '10.0.0.2'],
    ]);
  });

  it("answers SRV with port and target, and the targets' addresses in the additional section", () => {
    const r = ask('_port0._tcp.cart.shop.agora', 'SRV');
    expect(r.answers!.map(dataOf)).toEqual([
      { priority: 0, weight: 1, port: 31001, target: 'n1.agents.agora' },
      { priority: 0, weight: 1, port: 31002, target: 'n2.agents.agora' },
    ]);
    expect(r.additionals!.map((a) => [a.name, dataOf(a)])).toEqual([
      ['n1.agents.agora', '10.0.0.1'],
      ['n2.agents.agora', '10.0.0.2'],
    ]);
  });

  it("matches names case-insensitively and keeps the asker's spelling", () => {
    const r = ask('CART.Shop.agora.', 'A');
    expect(r.rcode).toBe(RCODE.NOERROR);
    expect(r.answers![0].name).toBe('CART.Shop.agora');
  });

  it('NODATA (NOERROR, no answer, SOA in authority) for a known name and an unasked type, and for names in between', () => {
    for (const [name, type] of [
      ['cart.shop.agora', 'AAAA'],
      ['cart.shop.agora', 'TXT'],
      ['shop.agora', 'A'],
      ['_tcp.cart.shop.agora', 'SRV'],
    ]) {
      const r = ask(name, type);
      expect([name, type, r.rcode, r.answers!.length, r.flag_aa]).toEqual([name, type, RCODE.NOERROR, 0, true]);
      expect(r.authorities!.map((a) => a.type)).toEqual(['SOA']);
    }
  });

  it('NXDOMAIN with the SOA (negative TTL 5 s) for unknown names in the zone', () => {
    const r = ask('nope.shop.agora', 'A');
    expect(r.rcode).toBe(RCODE.NXDOMAIN);
    expect(r.flag_aa).toBe(true);
    expect(r.authorities![0]).toMatchObject({
      name: 'agora',
      type: 'SOA',
      data: { serial: 42, minimum: TTL_S, mname: 'ns.agora' },
    });
  });

  it('answers SOA at the apex', () => {
    const r = ask('agora', 'SOA');
    expect(r.answers!.map((a) => a.type)).toEqual(['SOA']);
  });

  it('ANY gives every record of the name', () => {
    expect(ask('agora', 'ANY').answers!.map((a) => a.type)).toEqual(['SOA']);
    expect(ask('cart.shop.agora', 'ANY').answers!.map((a) => a.type)).toEqual(['A', 'A']);
  });

  it('REFUSED, not authoritative, for names outside the zone and classes other than IN', () => {
    for (const r of [ask('example.com', 'A'), ask('notagora', 'A'), ask('cart.shop.agora', 'A', { class: 'CH' })]) {
      expect([r.rcode, r.flag_aa, r.answers!.length]).toEqual([RCODE.REFUSED, false, 0]);
    }
  });

  it('NOTIMP for other opcodes, FORMERR for several questions', () => {
    expect(ask('cart.shop.agora', 'A', { opcode: 2 }).rcode).toBe(RCODE.NOTIMP);
    expect(ask('cart.shop.agora', 'A', { questions: 2 }).rcode).toBe(RCODE.FORMERR);
  });

  it('over UDP sets TC and drops the records when the answer exceeds 512 bytes (or the EDNS size); TCP sends it all', () => {
    const many = buildZone({
      apps: [
        {
          appId: '/big',
          portCount: 1,
          endpoints: Array.from({ length: 40 }, (_, i) => ({ host: `h${i}`, ports: [30000 + i] })),
        },
      ],
      addresses: new Map(Array.from({ length: 40 }, (_, i) => [`h${i}`, [`10.1.0.${i}`]])),
      serial: 1,
    });
    const q = (edns?: number) =>
      packet.decode(
        packet.encode({
          id: 1,
          type: 'query',
          questions: [{ name: '_port0._tcp.big.agora', type: 'SRV', class: 'IN' }],
          additionals: edns
            ? [
                {
                  name: '.',
                  type: 'OPT',
                  udpPayloadSize: edns,
                  extendedRcode: 0,
                  ednsVersion: 0,
                  flags: 0,
                  flag_do: false,
                  options: [],
                },
              ]
            : [],
        }),
      );
    const udp = packet.decode(answerQuery(many, q(), 'udp')!);
    expect([udp.flag_tc, udp.answers!.length, udp.questions!.length]).toEqual([true, 0, 1]);
    const udpEdns = answerQuery(many, q(4096), 'udp')!;
    expect(packet.decode(udpEdns).flag_tc).toBe(false);
    expect(udpEdns.length).toBeGreaterThan(512);
    const tcp = packet.decode(answerQuery(many, q(), 'tcp')!);
    expect([tcp.flag_tc, tcp.answers!.length, tcp.additionals!.length]).toEqual([false, 40, 40]);
  });

  it('ignores responses', () => {
    const resp = packet.decode(
      packet.encode({ id: 1, type: 'response', questions: [{ name: 'cart.shop.agora', type: 'A', class: 'IN' }] }),
    );
    expect(answerQuery(zone, resp, 'udp')).toBeUndefined();
  });
});
