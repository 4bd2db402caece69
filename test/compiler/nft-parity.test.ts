// Rulesets both nft and nftwasm accept, compiled and listed as live nft
// 1.0.6 does them: bytecode (with userdata) and listing, each compared in
// full.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { liveNftReason, nftDebugText, nftListingText } from './live-nft.js';

const chain = (family: string, rules: string[], head = 'type filter hook input priority 0; policy accept;') =>
  `table ${family} t {\n\tchain c {\n\t\t${head}\n${rules.map((r) => `\t\t${r}\n`).join('')}\t}\n}\n`;

function same(source: string): void {
  const r = compile(source);
  expect(r.toNetlinkDebug()).toBe(nftDebugText(source).out);
  expect(r.toListing()).toBe(nftListingText(source));
}

describe.skipIf(liveNftReason())('as live nft compiles and lists them', () => {
  it('a rule\'s comment is its userdata', () => {
    same(chain('inet', ['tcp dport 22 counter drop comment "count dropped packets"', 'accept comment "ünïcode, and a tab\there"', 'accept']));
  });

  it('a set of protocols leaves its last element as the context, and a header of none of them in particular is th', () => {
    same(chain('inet', ['meta l4proto { tcp, udp } tcp option maxseg size 1', 'meta l4proto { tcp, udp } th dport 53', 'meta l4proto { tcp, udp, sctp } @th,16,16 { 22, 23, 80 }', 'ct protocol { tcp, udp } tcp dport 1']));
    // nft lists these from the sorted set, whose last element differs
    // (`@nh,96,32`, `0x16 [invalid type]`): only the bytecode is compared.
    for (const source of [chain('inet', ['meta nfproto { ipv6, ipv4 } ip saddr 1.1.1.1', 'meta l4proto { tcp, udp } ct original proto-dst 22']),
      chain('netdev', ['meta protocol { ip6, ip } ip saddr 1.1.1.1'], 'type filter hook ingress device lo priority 0; policy accept;')]) {
      expect(compile(source).toNetlinkDebug()).toBe(nftDebugText(source).out);
    }
  });

  it('header fields that do not fill their bytes compare, range and bound intervals where they sit in the loaded bytes', () => {
    same(chain('ip', ['ip dscp < cs5', 'ip dscp > 10', 'ip dscp 10-20', 'ip dscp != 10-20', 'ip version < 5', 'tcp doff < 5', 'ip dscp { 60-63 }', 'ip dscp { 10-20, 40 }',
      'ip dscp vmap { 10-20 : drop, 30 : accept }', 'ip dscp >= 0x10', 'ip ecn < ce']));
    same(chain('ip6', ['ip6 dscp 10-20 accept', 'ip6 dscp { 10-20 } accept', 'ip6 dscp != 10-20 accept', 'ip6 dscp > 10', 'ip6 version > 6', 'ip6 flowlabel 100-200']));
    same(chain('bridge', ['vlan pcp > 3', 'vlan id < 100', 'vlan id 100-200']));
  });

  it('once an Ethernet header is known outside a bridge, its type announces the network header', () => {
    same(chain('inet', ['ether saddr 00:11:22:33:44:55 ip saddr 1.2.3.4', 'ether saddr 00:11:22:33:44:55 ip6 saddr ::1', 'meta iiftype ether ip saddr 1.2.3.4',
      'ether daddr 00:11:22:33:44:55 arp operation request', 'ether saddr 00:11:22:33:44:55 icmp type echo-request', 'ether saddr 00:11:22:33:44:55 meta nfproto ipv4 ip saddr 1.2.3.4']));
    same(chain('netdev', ['ether saddr 00:11:22:33:44:55 ip saddr 1.2.3.4', 'ether saddr 00:11:22:33:44:55 icmpv6 type echo-request'], 'type filter hook ingress device lo priority 0; policy accept;'));
    // A written iiftype match is the Ethernet header's dependency, listed
    // no more than the one nft would add.
    same(chain('inet', ['tcp dport 22 iiftype ether ip daddr 1.2.3.4 ether saddr 00:0f:54:0c:11:04 accept', 'meta iiftype ether ether saddr 00:0f:54:0c:11:04', 'meta iiftype ether', 'ether saddr 00:0f:54:0c:11:04 meta iiftype ether']));
  });

  it('names with a star are wildcards without quotes, and quoted strings span lines', () => {
    same(chain('inet', ['iifname ens* accept', 'iifname { ens*, "eth0" } accept', 'iifname eth\\* accept', 'iifname != ppp* drop', 'iifname . ip saddr { ppp* . 1.1.1.1 }',
      'ip saddr 1.1.1.1 counter comment "two\nlines"']));
  });

  it('elements rules add to a named set keep a statement each', () => {
    same('table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags dynamic\n\t}\n\tset c {\n\t\ttype ipv4_addr\n\t\tsize 65535\n\t\tflags dynamic,timeout\n\t\ttimeout 1m\n\t}\n\tchain x {\n'
      + '\t\tupdate @s { ip saddr limit rate over 5/second burst 5 packets } counter drop\n\t\tadd @c { ip saddr timeout 30s counter }\n\t\tct state new add @s { ip saddr ct count over 10 } drop\n\t\tadd @s { ip saddr quota over 10 mbytes }\n\t}\n}\n');
  });

  it('the older set statement, listed in the newer spelling', () => {
    same('table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags dynamic\n\t}\n\tchain x {\n\t\tset update ip saddr @s drop\n\t\tset add ip daddr @s\n\t}\n}\n');
  });

  it('a quota until its bytes is a plain quota', () => {
    same('table inet t {\n\tquota q {\n\t\tuntil 2 mbytes used 0 bytes\n\t}\n\tchain c {\n\t\tquota until 2 mbytes\n\t\tquota until 3 mbytes used 1 mbytes\n\t}\n}\n');
  });

  it('a file with CRLF line ends is junk to nft', () => {
    expect(() => compile('table inet t {\r\n\tchain c {\r\n\t\taccept\r\n\t}\r\n}\r\n')).toThrow('syntax error, unexpected junk');
  });

  it('a constant interval set is declared with the size of its boundaries', () => {
    same('table ip t {\n\tset r {\n\t\ttype ipv4_addr\n\t\tflags constant,interval\n\t\telements = { 10.0.0.0/8, 240.0.0.0-255.255.255.255 }\n\t}\n\tchain c {\n\t\tip saddr @r\n\t}\n}\n');
  });

  it('reject in inet answers in the IP version the rule settled', () => {
    same(chain('inet', ['ip protocol udp reject', 'ip6 saddr ::1 reject', 'meta nfproto ipv4 reject', 'meta nfproto ipv6 counter reject', 'tcp dport 1 reject']));
  });

  it('reject in netdev answers in the IP version the rule settled, and shows a TCP reset\'s protocol', () => {
    same(chain('netdev', ['meta protocol ip reject', 'meta protocol ip6 reject', 'meta mark 12345 reject with tcp reset', 'meta protocol ip reject with icmp host-unreachable'],
      'type filter hook ingress device lo priority 0; policy accept;'));
  });

  it('an ICMP header after its protocol is known needs no version check', () => {
    same(chain('inet', ['meta l4proto icmp icmp type { echo-request, echo-reply } accept', 'meta l4proto ipv6-icmp icmpv6 type echo-request accept', 'icmp type echo-request accept']));
    same(chain('bridge', ['meta l4proto icmp icmp type echo-request accept', 'icmpv6 type echo-request accept'], 'type filter hook input priority 0;'));
  });

  it('a match on the protocol an ip or ip6 table implies is left out, unless alone', () => {
    same(chain('ip', ['meta protocol ip accept', 'meta protocol ip udp dport 67', 'meta protocol ip ip saddr 1.2.3.4', 'meta protocol ip6 udp dport 67', 'meta protocol ip', 'meta protocol ip counter']));
    same(chain('ip6', ['meta protocol ip6 udp dport 67', 'meta protocol ip6 ip6 saddr ::1']));
    same(chain('inet', ['meta protocol ip udp dport 67', 'meta protocol ip ip saddr 1.2.3.4']));
  });

  it('a /0 prefix masks the whole field away and compares', () => {
    same(chain('inet', ['ip saddr 0.0.0.0/0 accept', 'ip6 saddr ::/0 accept', 'ip daddr != 0.0.0.0/0 drop']));
  });

  it('&, | and ^ in a row are one bitwise, listed as nft reads it back', () => {
    same(chain('ip', [
      'ct mark set ct mark & 0xffff0000 | 0x2a', 'ct mark set ct mark | 0x2a', 'ct mark set ct mark & 0xff ^ 0x3',
      'meta mark set ct mark & 0xffff0000 | 0x2a', 'ct mark set meta mark & 0xff | 0x100 | 0x1', 'ct mark set ct mark ^ 0x3',
    ]));
  });

  it('a set with a default timeout has the timeout flag', () => {
    same(`table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags dynamic\n\t\ttimeout 5m\n\t}\n\tset u {\n\t\ttype ipv4_addr\n\t\ttimeout 1h\n\t}\n\tset v {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\ttimeout 1h\n\t}\n\tset w {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t}\n}\n`);
  });

  it('interval sets hold and list what nft sends the kernel and reads back', () => {
    same(`table ip t {
	set apart { type inet_service; flags interval; elements = { 22, 23, 65535 } }
	set merged { type inet_service; flags interval; auto-merge; elements = { 22, 23, 30-40, 35-50 } }
	set touching { type ipv4_addr; flags interval; elements = { 224.0.0.0/4, 240.0.0.0/4 } }
	set hosts { type ipv4_addr; flags interval; elements = { 42.88.0.0/10, 127.0.0.1/8, 10.0.0.1-10.0.0.1, 11.0.0.0-11.0.0.255 } }
	set marks { type mark; flags interval; elements = { 0x10-0x1f, 0x30-0x31 } }
	map m { type ipv4_addr : verdict; flags interval; elements = { 10.0.0.0/8 : accept, 11.0.0.0/8 : drop } }
	chain c {
		type filter hook input priority 0; policy accept;
		ip daddr { 224.0.0.0/4, 240.0.0.0/4 } drop
		ip saddr { 0.0.0.0/8, 1.0.0.0/8 } accept
		ip daddr { 0.0.0.0/8, 2.0.0.0/8, 255.255.255.255 } accept
		ip saddr 42.88.0.0/10 accept
		ip saddr { 42.88.0.0/10, 127.0.0.1/8 } accept
		tcp dport { 0-15, 16-31 } accept
		ip saddr vmap { 10.0.0.0/8 : accept, 11.0.0.0/8 : accept }
	}
}
table ip6 t6 {
	set a { type ipv6_addr; flags interval; elements = { ::1/128, 2001:db8::1/32 } }
	chain c {
		ip6 saddr { ::1/128 } accept
		ip6 daddr ::1/128 accept
	}
}
`);
  });

  it('a set\'s comment and auto-merge listed where nft lists them', () => {
    same('table ip t {\n\tset s { type ipv4_addr; size 10; flags interval; auto-merge; comment "hello there"; elements = { 1.2.3.4 } }\n'
      + '\tset u { type ipv4_addr; flags interval; timeout 1m; auto-merge; comment "x"; }\n\tmap m { type ipv4_addr : mark; comment "m"; }\n}\n');
    const source = 'table ip t {\n\tset u { type ipv4_addr; flags dynamic; auto-merge; }\n}\n';
    expect(ourError(source)).toBe(nftDebugText(source).out.trimEnd());
  });

  it('a named set that does not merge refuses overlapping intervals', () => {
    const source = 'table ip t {\n\tset c { type ipv4_addr; flags interval; elements = { 10.1.0.0/16, 9.0.0.0/8, 10.0.0.0/8 } }\n}\n';
    expect(ourError(source)).toBe(nftDebugText(source).out.trimEnd());
  });

  it('set elements listed in nft\'s order, concatenations by their last part first', () => {
    same(`table inet t {
	set a { type ct_state . ct_dir; elements = { new . original, established . reply, related . original, new . reply } }
	set b { type ipv4_addr . inet_service; elements = { 10.0.0.1 . 80, 10.0.0.2 . 22, 9.0.0.3 . 443, 10.0.0.1 . 22, 1.2.3.4 . 256 } }
	set c { type ifname . ipv4_addr; elements = { "eth1" . 1.1.1.1, "eth0" . 2.2.2.2, "lo" . 1.1.1.1 } }
	set e { type ifname; elements = { "eth1", "eth0", "lo", "a", "wlan0" } }
	set f { type mark . inet_proto; elements = { 0x1 . tcp, 0x100 . udp, 0x2 . icmp } }
	chain c {
		ct state . ct direction { new . original, established . reply, related . original } accept
		ip saddr . tcp dport { 10.0.0.1 . 80, 10.0.0.2 . 22, 9.0.0.3 . 443 } accept
	}
}
`);
  });

  it('a table block given again sends its chains again', () => {
    same(`table inet t {
	chain c {
		type filter hook input priority 0; policy accept;
		tcp dport 22 accept
	}
	chain r {
		accept
	}
}
table inet t {
	set s { type ipv4_addr; }
	chain c {
		type filter hook input priority 0; policy accept;
		tcp dport 23 accept
	}
	chain r {
		drop
	}
	chain d {
		type filter hook output priority 0; policy drop;
	}
}
table inet t {
	chain c {
		udp dport 1 accept
	}
}
`);
  });

  it('conntrack\'s IP version is left out of a listing before its addresses', () => {
    same(`${chain('inet', [
      'ct l3proto ipv4 ct original saddr 1.2.3.4 accept', 'ct original l3proto ipv4 ct reply daddr 1.2.3.4 accept', 'ct l3proto ipv6 ct original saddr ::1 accept',
      'ct l3proto ipv4 ct original ip saddr 1.2.3.4 accept', 'ct l3proto ipv4 accept', 'meta l4proto tcp ct original proto-dst 22 accept',
    ])}`);
  });

  it('an anonymous set of conntrack ports listed untyped, as nft 1.0.6 lists it', () => {
    same(chain('ip', [
      'meta l4proto tcp ct original proto-dst { 80, 22, 256, 1, 513 } accept', 'tcp dport 1 ct reply proto-src { 22-23, 80 } accept',
      'ct protocol tcp ct original proto-dst { 22, 80 } accept', 'meta l4proto tcp ct original proto-dst 22-23 accept', 'meta l4proto udp ct original proto-dst vmap { 53 : accept }',
    ]));
  });

  it('the IP version is left out of a listing before conntrack\'s protocol', () => {
    same(chain('inet', [
      'meta nfproto ipv4 ct protocol tcp accept', 'meta nfproto ipv4 ct state new accept', 'meta nfproto ipv4 ct original protocol 6 accept',
      'meta nfproto ipv6 meta l4proto tcp accept', 'meta nfproto ipv4 ct protocol tcp ct state new accept', 'meta nfproto ipv4 tcp dport 22 ct protocol tcp',
    ]));
  });

  it('conntrack ports need the transport protocol, and a direction', () => {
    for (const rule of ['ct original proto-dst { 22, 80 } accept', 'ct reply proto-src 53 accept', 'ct protocol udp ct reply proto-src 53 accept', 'meta l4proto tcp ct proto-dst 22 accept']) {
      const source = chain('inet', [rule]);
      expect(ourError(source)).toBe(nftDebugText(source).out.trimEnd());
    }
    // Conntrack's own protocol is enough once the network protocol is known.
    same(chain('inet', ['ip saddr 1.2.3.4 ct protocol tcp ct original proto-dst 22 accept', 'meta nfproto ipv4 ct protocol tcp ct original proto-dst 22 accept']));
    same(chain('ip6', ['ct protocol tcp ct original proto-dst 22 accept']));
    const bridge = chain('bridge', ['ct l3proto ipv4 ct protocol tcp ct original proto-dst 22 accept']);
    expect(ourError(bridge)).toBe(nftDebugText(bridge).out.trimEnd());
  });

  it('a one-element set, variables taken apart, is a plain match', () => {
    same(`define ifs = { "eth0" }\ndefine one = "eth1"\ndefine two = { 22, 23 }\n${chain('inet', [
      'iifname { $one } accept', 'iifname $ifs accept', 'iifname { $ifs } accept', 'tcp dport { $two } accept', 'ip saddr { 10.0.0.0/8 } accept',
      'tcp dport { 22-23 } accept', 'meta mark { 0x1 } accept', 'ct state { established } accept',
    ])}`);
  });
});

function ourError(source: string): string {
  try {
    compile(source, { filename: 'rules.nft' });
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}
