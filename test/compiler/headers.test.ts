// The header families of compiler/headers/ as live nft compiles and lists
// them in every table family: their fields, nft's dependencies (transport
// protocol, VLAN tags and the types they announce, ARP's Ethernet type) and
// its errors for headers a table cannot hold.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { liveNftReason, nftDebugText, nftListingText, ourDebugText } from './live-nft.js';

// nft 1.0.6 aborts on ah nexthdr and comp nexthdr (an assertion in
// payload_expr_pctx_update), so these rules leave them out.
const TRANSPORT = [
  'ah hdrlength 4 ah spi 7 ah sequence 1-9 counter',
  'esp spi { 1, 2 } esp sequence != 3',
  'comp flags 0x2 comp cpi 9',
  'udplite sport 53 udplite csumcov 8 udplite checksum != 1',
  'dccp dport 1-4 dccp type { request, reset }',
  'sctp sport 3868 sctp vtag 0x10 sctp checksum 5',
  'th dport 7 sctp dport 8',
];

const LINK = [
  'vlan id 100 vlan pcp 1-3 counter',
  'vlan id 4094 vlan cfi 1',
  'ether type 8021ad vlan id 1 vlan type 8021q vlan id 2 vlan type ip ip protocol 6',
  'vlan id 1 ip saddr 10.0.0.0/23 udp dport 53',
  'ether type vlan ip6 nexthdr tcp',
  'ether saddr 00:01:02:03:04:05 vlan id 1',
  'vlan id 2 ether saddr 0:1:2:3:4:6',
  'ether saddr . vlan id { 0a:0b:0c:0d:0e:0f . 42 }',
  'vlan id 1 vlan id set 2',
];

const ARP = [
  'arp htype 1 arp ptype ip arp hlen 6 arp plen 4 arp operation { request, reply }',
  // raw payloads in an ARP header: numbers, listed as the fields they are
  'arp ptype 0x0800 @nh,192,32 0xc0a88f10 @nh,144,48 set 0x112233445566',
  'arp saddr ip 192.168.1.1 arp daddr ether fe:ed:00:c0:ff:ee',
  'arp operation != nak arp saddr ether aa:bb:cc:aa:bb:cc arp daddr ip 10.0.0.0/8',
];

function ruleset(family: string, rules: string[]): string {
  const hook = family === 'netdev' ? 'ingress device lo' : 'input';
  return `table ${family} t {\n\tchain c {\n\t\ttype filter hook ${hook} priority 0;\n${rules.map((r) => `\t\t${r}\n`).join('')}\t}\n}\n`;
}

const CASES: Array<[string, string[]]> = [
  ['ip', [...TRANSPORT, 'igmp type membership-report-v2 igmp mrt 10 igmp group 3', 'vlan id 5 tcp dport 22', 'vlan id 5 ip saddr 1.2.3.4']],
  ['ip6', TRANSPORT],
  ['inet', [...TRANSPORT, 'vlan id 5 ip saddr 1.2.3.4', 'vlan id 6 ip6 hoplimit 1']],
  ['bridge', [...LINK, ...ARP, 'sctp sport 1 counter', 'udplite dport 2']],
  ['netdev', [...LINK, ...ARP, ...TRANSPORT]],
  ['arp', ARP],
];

describe.skipIf(liveNftReason())('header families against live nft', () => {
  it.each(CASES)('%s: same bytecode and listing', (family, rules) => {
    const source = ruleset(family, rules);
    const r = compile(source);
    expect(r.toNetlinkDebug()).toBe(nftDebugText(source).out);
    expect(r.toListing()).toBe(nftListingText(source));
  });

  it.each([
    ['ip', 'arp htype 1'],
    ['inet', 'arp operation request'],
    ['bridge', 'ether type ip vlan id 1'],
    ['bridge', 'ether type ip arp htype 1'],
    ['bridge', 'vlan id 4096'],
    ['bridge', 'vlan id 1 vlan dei 2'],
    ['bridge', 'arp saddr 1.2.3.4'],
    ['ip', 'dccp type foo'],
    ['ip', 'igmp type 0x11 tcp dport 1'],
  ])('%s: %s is refused as nft refuses it', (family, rule) => {
    const source = ruleset(family, [rule]);
    const nft = nftDebugText(source);
    expect(nft.ok).toBe(false);
    expect(ourDebugText(source)).toEqual({ ok: false, out: nft.out.trimEnd() });
  });
});

// Raw payloads: read as a header's field where the rule or table says
// which header it is, listed by name then; bits within bytes listed as
// the bytes under a mask.
const RAW = [
  '@th,16,16 22',
  '@th,0,16 22',
  '@nh,96,32 0x01020304',
  '@th,400,16 0x0',
  '@ll,0,1 1',
  '@ll,96,16 0x0800',
  'meta l4proto udp @th,16,16 53',
  '@ih,32,32 0x14000000',
  'meta l4proto tcp @th,16,16 { 22, 23, 80 }',
  '@ll,0,128 0xfedcba987654321001234567890abcde',
  '@nh,64,8 0xff @nh,16,16 set 0x1234',
];

describe.skipIf(liveNftReason())('raw payloads against live nft', () => {
  it.each(['inet', 'ip', 'netdev'])('%s: same bytecode and listing', (family) => {
    const source = ruleset(family, family === 'inet' ? [...RAW, 'meta nfproto ipv4 @nh,96,32 0x01020304'] : RAW);
    const r = compile(source);
    expect(r.toNetlinkDebug()).toBe(nftDebugText(source).out);
    expect(r.toListing()).toBe(nftListingText(source));
  });

  it.each(['@ll,0,0 2', '@th,16,1 2', '@ll,0,1'])('%s is refused as nft refuses it', (rule) => {
    const source = ruleset('inet', [rule]);
    const nft = nftDebugText(source);
    expect(nft.ok).toBe(false);
    expect(ourDebugText(source)).toEqual({ ok: false, out: nft.out.trimEnd() });
  });
});

const TCP_OPTIONS = [
  'tcp option maxseg size 1 tcp option maxseg length 4',
  'tcp option sack exists',
  'tcp option sack0 left 1 tcp option sack3 right 2',
  'reset tcp option mptcp',
  'reset tcp option 2',
  'tcp option @255,8,8 255',
  'tcp option maxseg size set 1360',
  'tcp option timestamp tsval 1',
  'tcp option sack-perm missing',
  'tcp option 6 exists',
  'tcp option mptcp subtype { 0, 2 }',
  'tcp dport 22 tcp option maxseg size < 500',
  'sctp chunk data exists sctp chunk init flags 23',
  'sctp dport 1 sctp chunk sack a-rwnd 1 sctp chunk forward-tsn new-cum-tsn 31337',
];

describe.skipIf(liveNftReason())('tcp options and sctp chunks against live nft', () => {
  it.each(['inet', 'ip6'])('%s: same bytecode and listing', (family) => {
    const source = ruleset(family, TCP_OPTIONS);
    const r = compile(source);
    expect(r.toNetlinkDebug()).toBe(nftDebugText(source).out);
    expect(r.toListing()).toBe(nftListingText(source));
  });

  it.each(['tcp option foobar', 'tcp option eol left', 'tcp option sack window 1', 'tcp option 256 exists', 'tcp option @255,8,8 256', 'reset tcp option 256', 'tcp option window'])('%s is refused as nft refuses it', (rule) => {
    const source = ruleset('inet', [rule]);
    const nft = nftDebugText(source);
    expect(nft.ok).toBe(false);
    expect(ourDebugText(source)).toEqual({ ok: false, out: nft.out.trimEnd() });
  });
});

const IPV6_EXTHDRS = [
  'exthdr hbh exists',
  'exthdr frag missing exthdr mh != exists',
  'hbh nexthdr { tcp, udp } hbh hdrlength 4',
  'rt type 0 rt seg-left 1-3',
  'frag more-fragments 1 frag frag-off 22 frag id 7',
  'dst nexthdr 6',
  'mh type binding-update mh checksum 5',
  'srh last-entry 0 srh tag 5',
];

describe.skipIf(liveNftReason())('IPv6 extension headers against live nft', () => {
  it.each(['ip6', 'inet', 'netdev'])('%s: same bytecode and listing', (family) => {
    const source = ruleset(family, IPV6_EXTHDRS);
    const r = compile(source);
    expect(r.toNetlinkDebug()).toBe(nftDebugText(source).out);
    expect(r.toListing()).toBe(nftListingText(source));
  });
});

const IP_OPTIONS = [
  'ip option rr exists',
  'ip option lsrr ptr 4',
  'ip option ra value 0',
  'ip option ssrr addr 0x01020304',
  'ip option rr length 7 ip option ra missing',
];

describe.skipIf(liveNftReason())('IPv4 options against live nft', () => {
  it.each(['ip', 'inet'])('%s: same bytecode and listing', (family) => {
    const source = ruleset(family, IP_OPTIONS);
    const r = compile(source);
    expect(r.toNetlinkDebug()).toBe(nftDebugText(source).out);
    expect(r.toListing()).toBe(nftListingText(source));
  });

  it.each(['ip option foo exists', 'ip option rr ptr', 'ip option rr value 1', 'ip option 7 exists'])('%s is refused as nft refuses it', (rule) => {
    const source = ruleset('ip', [rule]);
    const nft = nftDebugText(source);
    expect(nft.ok).toBe(false);
    expect(ourDebugText(source)).toEqual({ ok: false, out: nft.out.trimEnd() });
  });
});
