// --log and the API's log listener: what the kernel log would hold for each
// packet a log statement logged (the line format is compared with the
// kernel's own in test/kernel/scenarios/log.test.ts), NFLOG groups counted,
// and the packet as the statement saw it: forwarded, looped back, rewritten.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, createFilter, parseInterfaces, type LogEntry } from '../../src/index.js';
import { EXAMPLE_CAPTURE, ensureBuilt, nftwasm } from './cli-run.js';
import { LINKTYPE_RAW, LOOPBACK_MACS, ipv4, ipv6, pcap, pcapFrames, udp } from '../dataplane/packets.js';

const workDir = mkdtempSync(join(tmpdir(), 'nftwasm-log-'));
const at = (name: string) => join(workDir, name);
beforeAll(ensureBuilt, 120_000);
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const WEB_RULES = `table inet filter {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 8000 ct state new log prefix "new-http: " flags all
		meta l4proto icmp log level info
		tcp dport 22 log group 3 drop
	}
}
`;

// A table of base chains, each [hook, rule].
function table(family: string, chains: Array<[string, string]>): string {
  const body = chains.map(([hook, rule]) => `\tchain c_${hook} {\n\t\ttype filter hook ${hook} priority 0;\n\t\t${rule}\n\t}\n`).join('');
  return `table ${family} t {\n${body}}\n`;
}

async function logged(rules: string, capture: Uint8Array, local: string[] = []): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  const filter = await createFilter(compile(rules), { local, log: (e) => entries.push(e) });
  filter.processCapture(capture);
  return entries;
}

describe('nftwasm filter --log', () => {
  it('writes one line per logged packet as dmesg --raw prints it, and counts what goes to NFLOG', () => {
    writeFileSync(at('web-log.nft'), WEB_RULES);
    const r = nftwasm(['filter', '-f', at('web-log.nft'), '-r', EXAMPLE_CAPTURE, '--local', '10.99.0.2', '--log', at('kern.log')]);
    expect(r.status).toBe(0);
    const lines = readFileSync(at('kern.log'), 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe(
      '<4>[1795782576.269443] new-http: IN= OUT= MACSRC=be:e8:fc:1c:d5:ac MACDST=16:d1:9e:a1:f6:33 MACPROTO=0800 SRC=10.99.0.1 DST=10.99.0.2 ' +
        'LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=4645 DF PROTO=TCP SPT=36594 DPT=8000 SEQ=1339214967 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 ' +
        'OPT (020405B40402080ABAA1B0C7000000000103030A) ',
    );
    expect(lines[3]).toMatch(/^<6>\[\d+\.\d{6}\] IN= OUT= MAC=16:d1:9e:a1:f6:33:be:e8:fc:1c:d5:ac:08:00 SRC=10\.99\.0\.1 .* PROTO=ICMP TYPE=8 CODE=0 ID=5902 SEQ=1 $/);
    expect(r.stderr).toContain(`nftwasm: --log: 6 lines written to ${at('kern.log')}; 2 packets sent to NFLOG group 3 (not written`);
  });

  it('says when a packet met more log statements than the log buffer holds', () => {
    const rules = Array.from({ length: 4200 }, (_, i) => `log prefix "${i} "`).join('\n\t\t');
    writeFileSync(at('many-logs.nft'), table('ip', [['input', rules]]));
    const r = nftwasm(['filter', '-f', at('many-logs.nft'), '-r', EXAMPLE_CAPTURE, '--local', '10.99.0.2', '--log', at('many.log')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/nftwasm: --log: \d+ lines written to .*; some were lost: a packet met more log statements than the log buffer holds/);
  });

  it('is refused with --workers, and with another writer of standard output', () => {
    const workers = nftwasm(['filter', '-f', at('web-log.nft'), '-r', EXAMPLE_CAPTURE, '--log', at('w.log'), '--workers', '2']);
    expect(workers.status).toBe(2);
    expect(workers.stderr).toContain('--workers does not combine with conntrack events, tracing, coverage or --log');
    const both = nftwasm(['filter', '-f', at('web-log.nft'), '-r', EXAMPLE_CAPTURE, '--log', '-', '-w', '-']);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('-w - and --log - conflict');
  });
});

describe('log entries in the API', () => {
  it('show a forwarded packet with its TTL lowered, without an input device name it was not given', async () => {
    const rules = table('ip', [['forward', 'log prefix "fwd "']]);
    const [e] = await logged(rules, pcap([udp('10.0.0.1', '10.1.0.1', 1000, 53)]));
    expect(e).toMatchObject({ packet: 1, target: 'syslog', level: 4, timeNs: 1_700_000_000_000_000_000n });
    expect(e!.message).toBe('fwd IN= OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 SRC=10.0.0.1 DST=10.1.0.1 LEN=36 TOS=0x00 PREC=0x00 TTL=63 ID=1 DF PROTO=UDP SPT=1000 DPT=53 LEN=16 ');
  });

  it('show the packet as earlier statements rewrote it, and its mark', async () => {
    const rules = table('ip', [['input', 'ip ttl set 9 meta mark set 0x10 log']]);
    const [e] = await logged(rules, pcap([udp('10.0.0.1', '10.0.0.2', 1000, 53)]), ['10.0.0.2']);
    expect(e!.message).toContain(' TTL=9 ');
    expect(e!.message).toMatch(/ MARK=0x10 $/);
  });

  it('name lo for what the host sends itself, with its zero link-layer header coming back in', async () => {
    const rules = table('ip', [['input', 'log'], ['output', 'log']]);
    const entries = await logged(rules, pcap([udp('127.0.0.1', '127.0.0.1', 1000, 53)], { macs: LOOPBACK_MACS }));
    expect(entries.map((e) => e.message!.split(' SRC=')[0])).toEqual(['IN= OUT=lo', 'IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00']);
  });

  it('give an empty MAC= for a device without a link layer, and IPv6 addresses in full', async () => {
    const rules = table('ip6', [['forward', 'log flags ip options']]);
    const frag = [17, 0, 0x00, 0x01, 0, 0, 0x12, 0x34];
    const [e] = await logged(rules, pcap([ipv6(44, [...frag, 0, 53, 0, 53, 0, 8, 0, 0])], { linkType: LINKTYPE_RAW }));
    expect(e?.message).toBe(
      'IN= OUT= MAC= SRC=2001:0db8:0000:0000:0000:0000:0000:0001 DST=2001:0db8:0000:0000:0000:0000:0000:0002 LEN=56 TC=0 HOPLIMIT=63 FLOWLBL=0 ' +
        'OPT ( FRAG:0 INCOMPLETE ID:00001234 ) PROTO=UDP SPT=53 DPT=53 LEN=8 ',
    );
  });

  it('give a cooked capture the receiving device and its address as the destination', async () => {
    const interfaces = JSON.stringify([
      { ifindex: 1, ifname: 'lo', link_type: 'loopback', address: '00:00:00:00:00:00', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
      { ifindex: 7, ifname: 'wan0', link_type: 'ether', address: '0a:0b:0c:0d:0e:0f', addr_info: [{ family: 'inet', local: '10.0.0.2', prefixlen: 24 }] },
    ]);
    const devices = parseInterfaces(interfaces);
    const sll2 = (ip: number[]) => [0x08, 0x00, 0, 0, 0, 0, 0, 7, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, ...ip];
    const entries: LogEntry[] = [];
    const filter = await createFilter(compile(table('ip', [['input', 'log']]), { interfaces: devices }), { network: { devices, routes: [] }, log: (e) => entries.push(e) });
    filter.processCapture(pcapFrames([sll2(udp('10.0.0.1', '10.0.0.2', 1000, 53))], { linkType: 276 }));
    expect(entries[0]!.message!.split(' SRC=')[0]).toBe('IN=wan0 OUT= MAC=0a:0b:0c:0d:0e:0f:02:00:00:00:00:01:08:00');
  });

  it('take an NFLOG record\'s link-layer header from its attributes', async () => {
    const attribute = (type: number, value: number[]) => [4 + value.length, 0, type, 0, ...value, ...new Array<number>((4 - (value.length % 4)) % 4).fill(0)];
    const mac = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    const record = [2, 0, 0, 5, ...attribute(15, [0, 1]), ...attribute(16, mac), ...attribute(4, [0, 0, 0, 2]), ...attribute(9, udp('10.0.0.1', '10.0.0.2', 1000, 53))];
    const [e] = await logged(table('ip', [['input', 'log']]), pcapFrames([record], { linkType: 239 }), ['10.0.0.2']);
    expect(e!.message!.split(' SRC=')[0]).toBe('IN= OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00');
  });

  it('give an 802.11 frame the Ethernet header its station device makes of it', async () => {
    const ap = [6, 6, 6, 6, 6, 6];
    const station = [2, 0, 0, 0, 0, 1];
    const host = [2, 0, 0, 0, 0, 2];
    // From the distribution system: receiver, transmitter (the access point), source.
    const frame = [0, 0, 8, 0, 0, 0, 0, 0, 0x08, 0x02, 0, 0, ...host, ...ap, ...station, 0, 0, 0xaa, 0xaa, 3, 0, 0, 0, 8, 0, ...udp('10.0.0.1', '10.0.0.2', 1000, 53)];
    const [e] = await logged(table('ip', [['input', 'log']]), pcapFrames([frame], { linkType: 127 }), ['10.0.0.2']);
    expect(e!.message!.split(' SRC=')[0]).toBe('IN= OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00');
  });

  it('quote the datagram an ICMP error carries', async () => {
    const rules = table('ip', [['forward', 'log']]);
    const quoted = udp('10.1.0.1', '10.0.0.1', 53, 1000).slice(0, 28);
    const [e] = await logged(rules, pcap([ipv4('10.0.0.9', '10.1.0.1', 1, [3, 3, 0xfc, 0xfc, 0, 0, 0, 0, ...quoted])]));
    expect(e!.message).toMatch(/PROTO=ICMP TYPE=3 CODE=3 \[SRC=10\.1\.0\.1 DST=10\.0\.0\.1 LEN=36 .* PROTO=UDP SPT=53 DPT=1000 LEN=16 \] $/);
  });
});
