// The host's devices and routes (--interfaces, --routes): what meta
// iif/oif/iifname/oifname/iiftype/oiftype/iifgroup/oifgroup load on each
// hook, input devices from cooked captures and pcapng interface names, and
// the clear errors of files that are not `ip -j` output.
import { describe, expect, it } from 'vitest';
import { compile, createFilter, parseInterfaces, parseRoutes, type HostNetwork } from '../../src/index.js';
import { udp } from '../dataplane/packets.js';
import { cookedIn, encodePcap, encodePcapng } from './captures.js';
import { EXAMPLE_CAPTURE, nftwasm } from './cli-run.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A router: eth0 10.1.0.1/24, eth1 10.2.0.1/24 (a veth in group 5), the
// default route out of eth1; as `ip -j -d addr` and `ip -j route show table
// all` print them.
const ADDR = JSON.stringify([
  { ifindex: 1, ifname: 'lo', group: 'default', link_type: 'loopback', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }, { family: 'inet6', local: '::1', prefixlen: 128 }] },
  { ifindex: 2, ifname: 'eth0', group: 'default', link_type: 'ether', addr_info: [{ family: 'inet', local: '10.1.0.1', prefixlen: 24 }] },
  { ifindex: 3, ifname: 'eth1', group: '5', link_type: 'ether', linkinfo: { info_kind: 'veth' }, addr_info: [{ family: 'inet', local: '10.2.0.1', prefixlen: 24 }] },
]);
const ROUTES = JSON.stringify([
  { dst: 'default', gateway: '10.2.0.254', dev: 'eth1' },
  { dst: '10.1.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.1.0.1' },
  { dst: '10.2.0.0/24', dev: 'eth1', protocol: 'kernel', scope: 'link', prefsrc: '10.2.0.1' },
  { type: 'local', dst: '10.1.0.1', dev: 'eth0', table: 'local' },
  { type: 'local', dst: '10.2.0.1', dev: 'eth1', table: 'local' },
  { type: 'local', dst: '127.0.0.0/8', dev: 'lo', table: 'local' },
  { type: 'local', dst: '::1', dev: 'lo', table: 'local', metric: 0, pref: 'medium' },
]);

function network(): HostNetwork {
  const devices = parseInterfaces(ADDR, 'addr.json');
  return { devices, routes: parseRoutes(ROUTES, devices, 'route.json') };
}

const sll2 = cookedIn;

// 1: eth0 -> a host behind eth1 (forward); 2: eth0 -> the internet
// (forward, out by the default route); 3: eth0 -> the router (input);
// 4: eth1 -> a host behind eth0 (forward).
const PACKETS = [
  sll2(2, udp('10.1.0.5', '10.2.0.7', 1000, 53)),
  sll2(2, udp('10.1.0.5', '8.8.8.8', 1001, 53)),
  sll2(2, udp('10.1.0.5', '10.1.0.1', 1002, 53)),
  sll2(3, udp('10.2.0.7', '10.1.0.5', 1003, 53)),
];

const RULES = `table inet t {
	chain c_pre {
		type filter hook prerouting priority 0; policy accept;
		iifname "eth0" counter
		iifname != "x" counter
		iif "eth1" counter
		meta iifgroup 0 counter
		oifname != "x" counter
		meta oiftype ether counter
	}

	chain c_in {
		type filter hook input priority 0; policy accept;
		iif "eth0" counter
		oifname != "x" counter
		oif 0 counter
		meta oifgroup 0 counter
	}

	chain c_fwd {
		type filter hook forward priority 0; policy accept;
		oifname "eth1" counter
		oifname "eth*" counter
		iifname "eth1" oifname "eth0" counter
		meta oifgroup 5 counter
		meta oifkind "veth" counter
		meta iifkind "veth" counter
		meta iiftype ether counter
	}

	chain c_post {
		type filter hook postrouting priority 0; policy accept;
		oif "eth0" counter
		iifname "eth0" counter
		meta sdif 0 meta sdifname != "x" counter
	}
}
`;

const EXPECTED = [
  // prerouting: eth0 thrice; every name differs from "x"; one from eth1;
  // groups of the input device; no output device yet ("" != "x", type breaks).
  3, 4, 1, 3, 4, 0,
  // input: the packet to the router; no output device: index 0, name "".
  1, 1, 1, 0,
  // forward
  2, 3, 1, 2, 2, 1, 3,
  // postrouting: the forwarded packets keep their input device.
  1, 2, 3,
];

async function counters(rules: string, capture: Uint8Array, net?: HostNetwork): Promise<number[]> {
  const ruleset = compile(rules, net ? { interfaces: net.devices } : {});
  const filter = await createFilter(ruleset, net ? { network: net } : {});
  filter.processCapture(capture);
  return [...filter.listRuleset().matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
}

// PACKETS as `tcpdump -i any` writes them (Linux cooked v2).
const routerCapture = () => encodePcap(PACKETS.map((data, i) => ({ tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 1000n, data })), { linktype: 276 });

describe('host network model', () => {
  it('gives each hook the devices the kernel gives it', async () => {
    const capture = routerCapture();
    expect(await counters(RULES, capture, network())).toEqual(EXPECTED);
  });

  it('routes IPv6 as well: longest prefix, then the default route IPv6 lists with "pref"', async () => {
    const devices = parseInterfaces(ADDR, 'addr.json');
    const routes = parseRoutes(JSON.stringify([
      { dst: 'fd01::/64', dev: 'eth0', protocol: 'kernel', metric: 256, pref: 'medium' },
      { dst: 'fd01::/48', dev: 'eth1', metric: 1024, pref: 'medium' },
      { dst: 'default', dev: 'eth1', metric: 1024, pref: 'medium' },
      { dst: 'default', gateway: '10.2.0.254', dev: 'eth0' },
    ]), devices, 'route.json');
    const v6 = (dst: number[]) => {
      const src = [0xfd, 2, ...new Array<number>(13).fill(0), 5];
      return [0x60, 0, 0, 0, 0, 10, 17, 64, ...src, ...dst, 0, 53, 0, 53, 0, 10, 0, 0, 0x61, 0x62];
    };
    const dst = (head: number[]) => [...head, ...new Array<number>(16 - head.length - 1).fill(0), 7];
    const frames = [v6(dst([0xfd, 1, 0, 0, 0, 0, 0, 0])), v6(dst([0xfd, 1, 0, 0, 0, 9])), v6(dst([0x20, 1, 0x0d, 0xb8]))]
      .map((ip) => cookedIn(2, ip));
    const capture = encodePcap(frames.map((data, i) => ({ tsNs: BigInt(i + 1) * 1000n, data })), { linktype: 276 });
    const rules = `table ip6 t {
	chain f {
		type filter hook forward priority 0; policy accept;
		oifname "eth0" counter
		oifname "eth1" counter
	}
}
`;
    expect(await counters(rules, capture, { devices, routes })).toEqual([1, 2]);
  });

  it('leaves what a cooked capture marks as for another host to ip_rcv, which drops it before any hook', async () => {
    const frame = sll2(2, udp('10.1.0.5', '10.2.0.7', 1000, 53));
    const other = Uint8Array.from(frame);
    other[10] = 3;
    const capture = encodePcap([frame, other].map((data, i) => ({ tsNs: BigInt(i + 1) * 1000n, data })), { linktype: 276 });
    const rules = 'table inet t {\n\tchain p {\n\t\ttype filter hook prerouting priority -400; policy accept;\n\t\tcounter\n\t}\n}\n';
    expect(await counters(rules, capture, network())).toEqual([1]);
  });

  it('resolves iif and oif names through the devices, and lists them by name', () => {
    const r = compile(RULES, { interfaces: network().devices });
    expect(r.toNetlinkDebug()).toContain('[ meta load iif => reg 1 ]\n  [ cmp eq reg 1 0x00000003 ]');
    expect(r.toListing()).toContain('oif "eth0" counter');
    expect(() => compile(RULES)).toThrow('Interface does not exist');
  });

  it('takes --local from the devices', async () => {
    const capture = encodePcap([{ tsNs: 1n, data: sll2(2, udp('10.1.0.5', '10.2.0.1', 1, 53)) }], { linktype: 276 });
    const rules = 'table ip t { chain c_in { type filter hook input priority 0; counter; }; }';
    expect(await counters(rules, capture, network())).toEqual([1]);
    expect(await counters(rules, capture)).toEqual([0]);
  });

  it('runs netdev chains of the device a frame comes in on and of the one the routes send it out by', async () => {
    const rules = `table netdev a {
	chain in0 {
		type filter hook ingress device "eth0" priority 0; policy accept;
		counter
	}
	chain in1 {
		type filter hook ingress device "eth1" priority 0; policy accept;
		counter
	}
	chain out1 {
		type filter hook egress device "eth1" priority 0; policy accept;
		counter
		ip ttl 63 counter
		meta oifname "eth1" counter
	}
	chain out0 {
		type filter hook egress device "eth0" priority 0; policy accept;
		counter
	}
}
`;
    // In on eth0: two forwarded out of eth1 (its TTL lowered), one for the
    // router; in on eth1: one forwarded out of eth0.
    const capture = routerCapture();
    expect(await counters(rules, capture, network())).toEqual([3, 1, 2, 2, 2, 1]);
  });

  it('names the input device from a pcapng interface without a model', async () => {
    const data = Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, ...udp('10.1.0.5', '10.2.0.7', 1, 53)]);
    const capture = encodePcapng([
      { type: 'section' },
      { type: 'interface', linktype: 1, name: 'wlan0' },
      { type: 'interface', linktype: 1 },
      { type: 'epb', packet: { tsNs: 1_000n, data, interfaceId: 0 }, unitNs: 1000n },
      { type: 'epb', packet: { tsNs: 2_000n, data, interfaceId: 1 }, unitNs: 1000n },
    ]);
    const rules = 'table inet t { chain f { type filter hook forward priority 0; iifname "wlan0" counter; iifname "wlan*" counter; iifname "" counter; }; }';
    await expect(counters(rules, capture)).rejects.toThrow('Empty string is not allowed');
    expect(await counters(rules.replace(' iifname "" counter;', ''), capture)).toEqual([1, 1]);
  });

  it('refuses files that are not ip -j output, naming the file and the place', () => {
    expect(() => parseInterfaces('{', 'a.json')).toThrow(/^a\.json: not JSON/);
    expect(() => parseInterfaces('{}', 'a.json')).toThrow('a.json: expected a JSON array, the output of `ip -j addr`');
    expect(() => parseInterfaces('[{"ifname":"eth0","link_type":"ether"}]', 'a.json')).toThrow('a.json: entry 1 (eth0): missing "ifindex"');
    expect(() => parseInterfaces('[{"ifindex":2,"ifname":"eth0"}]', 'a.json')).toThrow('a.json: entry 1 (eth0): missing "link_type"');
    expect(() => parseInterfaces('[{"ifindex":2,"ifname":"eth0","link_type":"ether","addr_info":[{"family":"inet","local":"10.1"}]}]', 'a.json'))
      .toThrow('a.json: entry 1 (eth0): addr_info 1: "local" "10.1" is not an IPv4 address');
    const devices = network().devices;
    expect(() => parseRoutes('[{"dst":"10.0.0.0/33","dev":"eth0"}]', devices, 'r.json')).toThrow('r.json: entry 1: "dst" "10.0.0.0/33" has a bad prefix length');
    expect(() => parseRoutes('[{"dst":"default"},{"dst":"10.0.0.0/8","dev":"eth9"}]', devices, 'r.json')).toThrow('r.json: entry 2: "dev" "eth9" is not one of the interfaces');
  });

  it('on the command line: iif names resolve, --local follows, bad files exit 1 naming the place', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nftwasm-net-'));
    const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
    const addr = file('addr.json', ADDR);
    const routes = file('routes.json', ROUTES);
    const rules = file('r.nft', RULES);
    const listed = nftwasm(['list', '-f', rules, '--interfaces', addr, '--routes', routes]);
    expect(listed.status).toBe(0);
    expect(listed.stdout.toString()).toContain('iif "eth1" counter');
    const refused = nftwasm(['compile', '-f', rules]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('Error: Interface does not exist');
    const bad = nftwasm(['filter', '-f', rules, '-r', EXAMPLE_CAPTURE, '--interfaces', file('bad.json', '[{"ifindex": 2, "ifname": "eth0"}]')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(`nftwasm: ${join(dir, 'bad.json')}: entry 1 (eth0): missing "link_type"\n`);
    const orphan = nftwasm(['filter', '-f', rules, '-r', EXAMPLE_CAPTURE, '--routes', routes]);
    expect(orphan.status).toBe(2);
    expect(orphan.stderr).toContain('--routes needs --interfaces');
  });

  // nft monitor trace names the hook's devices (NFTA_TRACE_IIF, _OIF):
  // the input device where there is one, the output device where there is.
  it('names the devices in trace lines, as nft monitor trace does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nftwasm-net-'));
    const file = (name: string, data: string | Uint8Array) => { const p = join(dir, name); writeFileSync(p, data); return p; };
    const rules = file('r.nft', 'table inet t {\n\tchain f {\n\t\ttype filter hook forward priority 0;\n\t\tmeta nftrace set 1\n\t}\n\tchain i {\n\t\ttype filter hook input priority 0;\n\t\tmeta nftrace set 1\n\t}\n}\n');
    const capture = file('c.pcap', encodePcap(PACKETS.map((data, i) => ({ tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 1000n, data })), { linktype: 276 }));
    const r = nftwasm(['filter', '-f', rules, '-r', capture, '--interfaces', file('addr.json', ADDR), '--routes', file('routes.json', ROUTES), '--trace', '1', '-q']);
    expect(r.status).toBe(0);
    const packetLines = r.stdout.toString().split('\n').filter((l) => l.includes(' packet: '));
    // With tracing on, every packet is traced (meta nftrace set 1): forwarded ones name both
    // devices, what the router takes in its input device only.
    const line = (id: number, chain: string, devices: string, src: string, dst: string, ttl: number, sport: number) =>
      `trace id 0000000${id} inet t ${chain} packet: ${devices} ip saddr ${src} ip daddr ${dst} ip dscp cs0 ip ecn not-ect ip ttl ${ttl} ip id 1 ip protocol udp ip length 36 udp sport ${sport} udp dport 53 udp length 16 @th,64,64 0x6262626262626262 `;
    expect(packetLines).toEqual([
      line(1, 'f', 'iif "eth0" oif "eth1"', '10.1.0.5', '10.2.0.7', 63, 1000),
      line(2, 'f', 'iif "eth0" oif "eth1"', '10.1.0.5', '8.8.8.8', 63, 1001),
      line(3, 'i', 'iif "eth0"', '10.1.0.5', '10.1.0.1', 64, 1002),
      line(4, 'f', 'iif "eth1" oif "eth0"', '10.2.0.7', '10.1.0.5', 63, 1003),
    ]);
  });
});
