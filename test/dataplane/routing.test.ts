// fib, rt, numgen, jhash and symhash in the data plane, over a router's
// devices and routes: the answers the kernel's nft_fib, nft_rt,
// nft_numgen and nft_hash give (the kernel scenario
// test/kernel/scenarios/routing.test.ts compares them with the kernel itself).
import { describe, expect, it } from 'vitest';
import { compile, createFilter, parseInterfaces, parseRoutes, type HostNetwork } from '../../src/index.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cookedIn, encodePcap } from '../host/captures.js';
import { EXAMPLE_CAPTURE, nftwasm } from '../host/cli-run.js';
import { createShardedFilter } from '../../src/workers.js';
import { ipv6, tcp, udp } from './packets.js';

// eth0 10.1.0.1/24 (mtu 1400), eth1 10.2.0.1/24, default via 10.2.0.254.
const ADDR = JSON.stringify([
  { ifindex: 1, ifname: 'lo', mtu: 65536, link_type: 'loopback', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  { ifindex: 2, ifname: 'eth0', mtu: 1400, link_type: 'ether', addr_info: [{ family: 'inet', local: '10.1.0.1', prefixlen: 24 }] },
  { ifindex: 3, ifname: 'eth1', mtu: 1500, link_type: 'ether', addr_info: [{ family: 'inet', local: '10.2.0.1', prefixlen: 24 }] },
]);
const ROUTES = JSON.stringify([
  { dst: 'default', gateway: '10.2.0.254', dev: 'eth1' },
  { dst: '10.1.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.1.0.1' },
  { dst: '10.2.0.0/24', dev: 'eth1', protocol: 'kernel', scope: 'link', prefsrc: '10.2.0.1' },
  { type: 'blackhole', dst: '192.0.2.0/24' },
  { type: 'local', dst: '10.1.0.1', dev: 'eth0', table: 'local' },
  { type: 'broadcast', dst: '10.1.0.255', dev: 'eth0', table: 'local' },
  { type: 'local', dst: '10.2.0.1', dev: 'eth1', table: 'local' },
  { type: 'local', dst: '127.0.0.0/8', dev: 'lo', table: 'local' },
]);

function network(): HostNetwork {
  const devices = parseInterfaces(ADDR, 'addr.json');
  return { devices, routes: parseRoutes(ROUTES, devices, 'route.json') };
}

const sll2 = cookedIn;

async function counters(rules: string, frames: Uint8Array[], net: HostNetwork | undefined = network(), seed = 0): Promise<number[]> {
  const capture = encodePcap(frames.map((data, i) => ({ tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 1000n, data })), { linktype: 276 });
  const filter = await createFilter(compile(rules, net ? { interfaces: net.devices } : {}), net ? { network: net, seed } : { seed });
  filter.processCapture(capture);
  return [...filter.listRuleset().matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
}

const table = (chains: string) => `table ip t {\n${chains}}\n`;
const chain = (name: string, hook: string, rules: string[]) =>
  `\tchain ${name} {\n\t\ttype filter hook ${hook} priority 0; policy accept;\n${rules.map((r) => `\t\t${r} counter\n`).join('')}\t}\n`;

describe('fib', () => {
  // 1: from eth0's subnet on eth0 (to the router); 2: spoofed, eth1's
  // subnet arriving on eth0 (forward); 3: from the internet on eth1; 4: from
  // a blackholed source; 5: to eth0's broadcast address; 6: to a multicast
  // group.
  const frames = [
    sll2(2, udp('10.1.0.5', '10.1.0.1', 1000, 53)),
    sll2(2, udp('10.2.0.7', '10.2.0.9', 1001, 53)),
    sll2(3, udp('8.8.8.8', '10.1.0.5', 53, 1002)),
    sll2(3, udp('192.0.2.9', '10.1.0.5', 53, 1003)),
    sll2(2, udp('10.1.0.5', '10.1.0.255', 1005, 53)),
    sll2(2, udp('10.1.0.5', '239.1.2.3', 1006, 53)),
  ];

  it('answers the reverse-path and address-type questions as the kernel does', async () => {
    const rules = table(chain('pre', 'prerouting', [
      'fib saddr . iif oif missing',
      'fib saddr . iif oif exists',
      'fib saddr oif "eth1"',
      'fib saddr oifname "eth0"',
      'fib daddr type local',
      'fib daddr . iif type local',
      'fib daddr type broadcast',
      'fib daddr type multicast',
      'fib daddr type unicast',
      'fib daddr . iif type != { local, broadcast, multicast }',
      'fib saddr oif 0',
    ]));
    // missing: the spoofed source and the blackholed one; eth1 for the
    // internet's and the spoofed source; eth0 for eth0's subnet (packets 1,
    // 5, 6); local: 10.1.0.1 (on eth0, where it came in); broadcast
    // 10.1.0.255; multicast 239.1.2.3; unicast the rest.
    expect(await counters(rules, frames)).toEqual([2, 4, 2, 3, 1, 1, 1, 1, 3, 3, 1]);
  });

  it('is refused without the host routes it looks up', async () => {
    const text = table(chain('pre', 'prerouting', ['fib saddr . iif oif missing']));
    await expect(createFilter(compile(text))).rejects.toThrow(/fib needs the host's routes: give --routes/);
    const path = join(mkdtempSync(join(tmpdir(), 'nftwasm-fib-')), 'fib.nft');
    writeFileSync(path, text);
    const r = nftwasm(['filter', '-f', path, '-r', EXAMPLE_CAPTURE]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("fib.nft:4:3-37: Error: fib needs the host's routes: give --routes (ip -j route show table all)");
  });
});

describe('rt', () => {
  it('gives the route\'s next hop and MSS after the routing decision, and nothing before', async () => {
    const syn = (src: string, dst: string, ifindex: number) => sll2(ifindex, tcp({ src, dst, sport: 40000, dport: 80, seq: 1, flags: 2, options: [2, 4, 5, 0xb4] }));
    const frames = [syn('10.1.0.5', '8.8.8.8', 2), syn('10.2.0.7', '10.1.0.5', 3), syn('10.1.0.5', '10.1.0.1', 2)];
    const rules = table(chain('pre', 'prerouting', ['rt classid 0']) + chain('f', 'forward', [
      'rt ip nexthop 10.2.0.254',
      'rt ip nexthop 10.1.0.5',
      // eth0's 1400 is the smaller MTU either way: 1360.
      'rt mtu 1360',
      'rt ipsec missing',
      'tcp option maxseg size set rt mtu tcp option maxseg size 1360',
    ]) + chain('in', 'input', ['rt ip nexthop 10.1.0.1', 'rt classid 0']));
    expect(await counters(rules, frames)).toEqual([0, 1, 1, 2, 2, 2, 1, 1]);
  });
});

describe('numgen and hashes', () => {
  const frames = Array.from({ length: 8 }, (_, i) => sll2(2, udp(`10.1.0.${i + 2}`, '10.2.0.7', 1000 + i, 53)));

  it('numgen inc counts per rule from 0 and wraps at the modulus', async () => {
    const rules = table(chain('f', 'forward', ['numgen inc mod 3 0', 'numgen inc mod 3 offset 10 12', 'numgen inc mod 2 1']));
    expect(await counters(rules, frames)).toEqual([3, 2, 4]);
  });

  it('numgen inc keeps a count each worker would keep alone: --workers refuses it', async () => {
    const rules = table(chain('f', 'forward', ['numgen inc mod 2 0']));
    await expect(createShardedFilter(compile(rules), 2)).rejects.toThrow(/keep state as packets pass \(here: numgen inc\)/);
  });

  it('numgen random spreads over the modulus and repeats with the seed', async () => {
    const rules = table(chain('f', 'forward', ['numgen random mod 2 0', 'numgen random mod 2 1']));
    const a = await counters(rules, frames, network(), 7);
    expect(a).toEqual(await counters(rules, frames, network(), 7));
    expect(a.every((n) => n < 8)).toBe(true);
  });

  it('jhash with a seed is the kernel\'s jhash', async () => {
    // jhash of 10.1.0.2..9 with seed 0xdeadbeef, as include/linux/jhash.h
    // computes it, scaled into 4 (reciprocal_scale).
    const rules = table(chain('f', 'forward', [0, 1, 2, 3].map((v) => `jhash ip saddr mod 4 seed 0xdeadbeef ${v}`)));
    const seen = await counters(rules, frames);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(8);
    expect(seen).toEqual(await counters(rules, frames, network(), 99));
  });

  it('symhash gives both directions of a flow the same value', async () => {
    const both = [sll2(2, udp('10.1.0.5', '10.2.0.7', 1000, 53)), sll2(3, udp('10.2.0.7', '10.1.0.5', 53, 1000))];
    for (const seed of [1, 2, 3]) {
      const rules = table(chain('f', 'forward', ['symhash mod 2 0', 'symhash mod 2 1']));
      expect((await counters(rules, both, network(), seed)).sort()).toEqual([0, 2]);
    }
  });
});

// nf_dup_ipv4_route: the copy goes by the route to its gateway (by way of
// the device given), or, with no route, not at all.
describe('dup over the routes', () => {
  it('sends the copy by the route to its gateway, and none without a route', async () => {
    const frames = [sll2(2, udp('10.1.0.5', '10.1.0.1', 1000, 53)), sll2(2, udp('10.1.0.5', '10.1.0.1', 1001, 54))];
    const rules = table(chain('pre', 'prerouting', ['udp dport 53 dup to 10.2.0.7', 'udp dport 54 dup to 10.2.0.7 device "eth0"'])
      + chain('out', 'output', ['meta oifname "eth1"', 'meta oifname "eth0"', 'ct state untracked']));
    expect(await counters(rules, frames)).toEqual([1, 1, 1, 1, 2]);
    const v6 = `table ip6 t6 {\n${chain('pre', 'prerouting', ['meta l4proto udp dup to 2001:db8::9'])}${chain('out', 'output', ['ct state untracked'])}}\n`;
    const frame6 = sll2(2, ipv6(17, [0x03, 0xe8, 0, 53, 0, 8, 0, 0]));
    expect(await counters(v6, [frame6])).toEqual([1, 0]);
  });
});

describe('socket, ipsec and osf offline', () => {
  it('no socket and no IPsec state end the rule; osf names every SYN unknown', async () => {
    const syn = sll2(2, tcp({ src: '10.1.0.5', dst: '10.1.0.1', sport: 40000, dport: 80, seq: 1, flags: 2 }));
    const ack = sll2(2, tcp({ src: '10.1.0.5', dst: '10.1.0.1', sport: 40000, dport: 80, seq: 2, flags: 16 }));
    const rules = table(chain('in', 'input', [
      'socket transparent 0', 'socket mark 0', 'socket wildcard 0',
      'ipsec in reqid 0', 'ipsec in ip saddr 10.1.0.5', 'ipsec missing',
      'osf name "unknown"', 'osf ttl skip version "unknown"', 'osf name "Linux"',
    ]));
    expect(await counters(rules, [syn, ack])).toEqual([0, 0, 0, 0, 0, 2, 1, 1, 0]);
  });

  // nft_tproxy finds no transparent socket, established or listening, and
  // ends the rule: the packet goes on to the next rule as it is.
  it('socket cgroupv2 finds no socket and ends the rule', async () => {
    const syn = sll2(2, tcp({ src: '10.1.0.5', dst: '10.1.0.1', sport: 40000, dport: 80, seq: 1, flags: 2 }));
    const rules = table(chain('in', 'input', ['socket cgroupv2 level 1 "system.slice"', 'socket cgroupv2 level 1 != "system.slice"', 'tcp dport 80']));
    const cgroups = { inode: () => 4242n, path: () => 'system.slice' };
    const filter = await createFilter(compile(rules, { interfaces: network().devices, cgroups }), { network: network() });
    filter.processCapture(encodePcap([{ tsNs: 1_700_000_000_000_000_000n, data: syn }], { linktype: 276 }));
    expect([...filter.listRuleset().matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]))).toEqual([0, 0, 1]);
  });

  it('tproxy finds no socket and ends the rule', async () => {
    const syn = sll2(2, tcp({ src: '10.1.0.5', dst: '10.1.0.1', sport: 40000, dport: 80, seq: 1, flags: 2 }));
    const dns = sll2(2, udp('10.1.0.5', '10.2.0.9', 1000, 53));
    const rules = `table inet t {\n${chain('pre', 'prerouting', [
      'meta l4proto tcp tproxy to :8080', 'meta l4proto udp tproxy ip to 10.1.0.1', 'tcp dport 80 tproxy ip to 10.1.0.1:8080', 'meta l4proto { tcp, udp }',
    ])}}\n`;
    expect(await counters(rules, [syn, dns])).toEqual([0, 0, 0, 2]);
  });
});
