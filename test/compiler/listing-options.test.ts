// toListing's options against `nft <flags> list ruleset` after loading the
// same file in a throwaway namespace: each of -s -a -n -p -y -T -S alone,
// and all of them together, on a ruleset where each one changes something.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, type ListingOptions } from '../../compiler/index.js';
import { liveNftReason } from './live-nft.js';

const source = `table inet filter {
	counter hits { packets 3 bytes 120 }
	set ports {
		type inet_service
		elements = { 22, 80, 443 }
	}
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		ip protocol tcp tcp dport 22 counter packets 5 bytes 300 accept
	}
	chain nat {
		type filter hook prerouting priority dstnat + 5; policy accept;
		meta l4proto udp udp dport 53 accept
	}
	chain in {
		type filter hook input priority filter - 3; policy drop;
		ct state established,related accept
		ct expiration 1m30s counter
		tcp dport @ports counter name hits accept
		ip6 nexthdr icmpv6 accept
		ip saddr 192.0.2.0/24 tcp dport { 22, 8080 } accept
		meta l4proto { tcp, udp } th dport 53 accept
		tcp sport { ssh, http } ct mark set 0x10
		tcp flags syn / syn,ack accept
		tcp flags & (syn|fin) == syn accept
		icmp type { echo-request, echo-reply } accept
		icmp code port-unreachable accept
		icmpv6 type nd-neighbor-solicit accept
		ct direction original meta pkttype host accept
		ip dscp cs1 ip ecn ce accept
		ct status assured meta nfproto ipv4 accept
		ct event set new,destroy
		ct l3proto ipv4 ct state new accept
	}
	chain out {
		type filter hook output priority 7; policy accept;
		udp sport 123 counter
	}
}
`;

const FLAGS: [string[], ListingOptions][] = [
  [[], {}],
  [['-s'], { stateless: true }],
  [['-a'], { handles: true }],
  [['-n'], { numeric: true }],
  [['-p'], { numericProtocol: true }],
  [['-y'], { numericPriority: true }],
  [['-T'], { numericTime: true }],
  [['-S'], { services: true }],
  [['-s', '-a', '-n', '-p', '-y', '-T', '-S'], { stateless: true, handles: true, numeric: true, numericProtocol: true, numericPriority: true, numericTime: true, services: true }],
];

function nftListings(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'nftwasm-'));
  try {
    const path = join(dir, 'rules.nft');
    writeFileSync(path, source);
    const marker = '--- listing ---';
    const script = [`nft -f ${path}`, ...FLAGS.map(([f]) => `echo '${marker}'; nft ${f.join(' ')} list ruleset`)].join(' && ');
    const r = spawnSync('unshare', ['-rn', 'sh', '-c', script], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout.split(`${marker}\n`).slice(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(liveNftReason())('listing options against live nft', () => {
  it('prints what nft list ruleset prints with each flag', () => {
    const ruleset = compile(source);
    const want = nftListings();
    FLAGS.forEach(([flags, opts], i) => {
      expect(`${flags.join(' ')}\n${ruleset.toListing(opts)}`).toBe(`${flags.join(' ')}\n${want[i]}`);
    });
  });
});
