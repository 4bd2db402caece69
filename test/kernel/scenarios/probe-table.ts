// The probe table: every meta key, ct key and instruction the compiler
// emits, as expressions a probe rule `<expr> counter` tests, and what the
// data plane cannot compute yet, with why.
// Probes on every path.
export const COMMON = [
  // meta keys
  "meta length > 100", "meta length 40-60", "meta protocol ip", "meta protocol ip6", "meta nfproto ipv4", "meta nfproto ipv6",
  "meta l4proto tcp", "meta l4proto udp", "meta l4proto icmp", "meta l4proto ipv6-icmp", "meta mark 0", "meta mark != 0",
  "meta pkttype host", "meta pkttype multicast", "meta iiftype ether",
  // ct keys
  "ct state new", "ct state established", "ct state related", "ct state invalid", "ct state untracked",
  "ct direction original", "ct direction reply", "ct status assured", "ct status seen-reply", "ct status confirmed",
  "ct mark 0", "ct mark 1-5", "ct mark { 0, 7 }", "ct expiration > 10s", "ct l3proto ipv4", "ct l3proto ipv6", "ct protocol tcp",
  "ct original ip saddr 10.99.0.1", "ct reply ip daddr 10.99.0.1", "ct original ip6 saddr fd99::1", "meta l4proto tcp ct original proto-dst 8000",
  "meta l4proto tcp ct reply proto-src 8000", "ct packets > 3", "ct bytes > 500", "ct avgpkt > 60",
  "ct original packets > 1", "ct reply bytes > 100", "ct zone 0", "ct helper \"ftp\"",
  // payload loads, comparisons, bitwise, ranges, lookups
  "ip ttl 64", "ip id != 0", "ip length > 60", "ip dscp cs0", "ip ecn not-ect", "ip version 4", "ip hdrlength 5",
  "ip frag-off & 0x4000 != 0", "ip protocol tcp", "ip6 hoplimit 64", "ip6 flowlabel != 0", "ip6 nexthdr udp",
  "tcp flags syn", "tcp flags & (syn | ack) == syn | ack", "tcp flags & (fin | rst) != 0", "tcp window > 1000",
  "tcp sport 8000", "tcp dport 8000", "tcp dport != 8000", "tcp dport < 1024", "tcp dport >= 8000", "tcp dport <= 8000",
  "tcp dport { 80, 8000 }", "tcp dport 7000-9000", "tcp dport != 7000-9000", "udp length > 10", "udp dport 5353",
  "icmp type echo-request", "icmp type echo-reply", "icmpv6 type echo-request", "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert }",
  "th dport 5353", "ether type ip", "ip saddr . tcp dport { 10.99.0.1 . 8000 }", "ip saddr 10.99.0.0/24",
  "ip daddr != 10.0.0.0/8", "ip6 saddr fd99::/64", "ip saddr . ip daddr { 10.99.0.1 . 10.99.0.2-10.99.0.4 }",
  "meta l4proto . th dport { tcp . 8000, udp . 5353 }", "quota 2000 bytes", "quota over 2000 bytes",
];

// What the data plane cannot compute yet: each stays out of the ruleset.
export const PENDING: Record<string, string> = {
  "meta cpu": "the CPU that handled the packet is not in a capture; the kernel never breaks here",
  // The kernel reads the uid of the packet's full socket: none on the
  // forward path, nor for a new connection or a datagram to an unconnected
  // socket on input (it breaks there, as the data plane does); but early
  // demux gives established TCP input its socket, and on output nearly
  // every packet has one (a SYN-ACK its listener's, ICMP answers the
  // kernel's control socket), all but resets and time-wait answers.
  "meta skuid 0": "needs a model of the host's sockets (matches on established TCP input and most output)",
  "meta skgid 0": "as meta skuid",
  "meta iif": "interface model (another engineer's work)",
  "meta oif": "interface model (another engineer's work)",
  "meta iifname": "interface model (another engineer's work)",
  "meta oifname": "interface model (another engineer's work)",
  "ct id": "random in the kernel",
  "limit rate 1/second": "token refill over jiffies against capture timestamps",
  // nf_conncount sweeps a list at most once a jiffy: two runs of the same
  // traffic here gave `ct count over 1` 7 and 10 packets.
  "ct count over 1": "the kernel's count depends on jiffies a capture does not record",
};

