// Rules drawn from the ct and payload grammar with a seeded generator, for
// the differential tests against live nft.

export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generator(rand: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const int = (n: number) => Math.floor(rand() * n);
  const hex = () => '0x' + int(0xffffffff).toString(16);
  const port = () => String(int(65536));
  const ip4 = () => [int(256), int(256), int(256), int(256)].join('.');
  const op = () => pick(['', '', '!= ', '== ']);
  const ord = () => pick(['< ', '> ', '<= ', '>= ']);
  const states = ['new', 'established', 'related', 'invalid', 'untracked'];
  const statuses = ['expected', 'seen-reply', 'assured', 'confirmed', 'snat', 'dnat', 'dying'];
  const flags = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ecn', 'cwr'];
  const dscp = ['cs0', 'cs1', 'cs4', 'af11', 'af23', 'ef'];
  const list = (xs: string[]) => [...new Set(Array.from({ length: 1 + int(3) }, () => pick(xs)))];
  const matches: (() => string)[] = [
    () => `ct state ${list(states).join(',')}`,
    () => `ct state ${pick(['!= ', '== '])}${pick(states)}`,
    () => `ct state { ${list(states).join(', ')} }`,
    () => `ct status ${list(statuses).join(',')}`,
    () => `ct status ! ${pick(statuses)}`,
    () => `ct direction ${op()}${pick(['original', 'reply'])}`,
    () => `ct mark ${op()}${hex()}`,
    () => `ct mark ${pick(['and', 'or', '&', '|'])} ${hex()} ${pick(['==', '!='])} ${hex()}`,
    () => `ct mark ${ord()}${int(1000)}`,
    () => `ct mark { ${hex()}, ${hex()} }`,
    () => `ct expiration ${op()}${int(100)}s`,
    () => `ct zone ${op()}${int(65536)}`,
    () => `ct ${pick(['original ', 'reply ', ''])}${pick(['packets', 'bytes'])} ${ord()}${int(100000)}`,
    () => `ct original ip ${pick(['saddr', 'daddr'])} ${op()}${ip4()}`,
    () => `ct helper "${pick(['ftp', 'sip', 'tftp'])}"`,
    () => `ct l3proto ${pick(['ipv4', 'ipv6'])}`,
    () => `tcp ${pick(['sport', 'dport'])} ${op()}${port()}`,
    () => `udp ${pick(['sport', 'dport'])} { ${port()}, ${port()} }`,
    () => `tcp dport ${int(1000)}-${1000 + int(1000)}`,
    () => `th dport ${op()}${port()}`,
    () => `meta l4proto ${pick(['tcp', 'udp', 'icmp'])}`,
    () => `meta mark ${op()}${hex()}`,
    () => `tcp flags ${pick(['', '!= ', '== ', '! '])}${list(flags).join(',')}`,
    () => `tcp flags ${pick(['', '!= '])}${list(flags).join(',')} / ${pick(flags)},${pick(flags)}`,
    () => `tcp flags & (${list(flags).join(' | ')}) ${pick(['==', '!='])} ${pick(['0', ...flags])}`,
    () => `tcp flags { ${list(flags).join(', ')}, ${list(flags).join(' | ')} }`,
    () => `ip ${pick(['saddr', 'daddr'])} ${op()}${ip4()}/${8 + int(25)}`,
    () => `ip ${pick(['saddr', 'daddr'])} ${pick(['', '!= '])}{ ${ip4()}/${8 + int(25)}, ${ip4()}-${ip4()} }`,
    () => `ip saddr . ip daddr { ${ip4()} . ${ip4()}, ${ip4()} . ${ip4()} }`,
    () => `tcp dport . ct mark { ${port()} . ${hex()} }`,
    () => `tcp ${pick(['sport', 'dport'])} ${pick(['', '!= '])}{ ${int(1000)}-${1000 + int(1000)}, ${2000 + int(1000)} }`,
    () => `tcp sport ${port()} tcp dport ${port()}`,
    () => `ip ${pick(['dscp', 'ecn', 'ttl', 'id', 'length'])} ${op()}${int(4)}`,
    () => `ip dscp ${pick(['', '!= '])}{ ${pick(dscp)}, ${pick(dscp)} }`,
    () => `icmp ${pick(['id', 'sequence', 'mtu', 'gateway', 'code'])} ${op()}${int(256)}`,
    () => `icmp type ${pick(['echo-request', 'echo-reply', 'destination-unreachable'])}`,
    () => `ct mark ${pick(['', '!= '])}{ ${int(100)}-${100 + int(100)}, ${300 + int(100)} }`,
    () => `ct expiration ${pick(['', '!= '])}{ ${int(30)}s-${30 + int(30)}s }`,
    () => `ct original ip saddr . ct mark { ${ip4()} . ${hex()} }`,
    () => `ip saddr . tcp dport { ${ip4()} . ${int(1000)}-${1000 + int(1000)}, ${ip4()}/${8 + int(25)} . ${port()} }`,
    () => `meta mark . udp sport ${pick(['', '!= '])}{ ${int(100)}-${100 + int(100)} . ${port()} }`,
  ];
  const actions = [
    '', 'counter', 'accept', 'drop', 'counter accept', 'ct mark set ' + '0x1', 'notrack', 'ct zone set 3', 'counter packets 3 bytes 9',
    'ct mark set meta mark', 'ct mark set ct mark and 0xff', 'ct mark set tcp dport map { 22 : 0x1, 80 : 0x2 }', 'meta mark set ct mark',
    'ct event set new,destroy', 'ct label set 3', 'tcp dport set 22', 'ip ttl set 9', 'ip dscp set cs1', 'ip daddr set 10.0.0.1',
    'tcp sport vmap { 22 : accept, 100-1000 : drop }', 'ct original zone set 2',
    'limit rate 10/second accept', 'limit rate over 1 mbytes/second burst 2 kbytes drop', 'limit rate 3/minute burst 7 packets',
    'quota 10 mbytes', 'quota over 500 kbytes used 100 kbytes drop', 'log prefix "x " level info flags all', 'log flags tcp sequence,options',
    'log group 2 snaplen 64', 'meta nftrace set 1',
  ];
  // The kernel refuses conntrack in bridge and netdev tables here (no
  // nf_conntrack_bridge), so those draw header matches and plain actions.
  const linkMatches = matches.filter((m) => !m().includes('ct '));
  const linkActions = ['', 'counter', 'accept', 'drop', 'counter packets 3 bytes 9', 'tcp dport set 22', 'ip ttl set 9', 'limit rate 5/hour', 'quota 1000 bytes'];
  return (): { family: string; rule: string } => {
    const n = 1 + int(2);
    const family = pick(['ip', 'ip6', 'inet', 'inet', 'bridge', 'netdev']);
    const link = family === 'bridge' || family === 'netdev';
    const parts = Array.from({ length: n }, () => pick(link ? linkMatches : matches)());
    const action = pick(link ? linkActions : actions);
    return { family, rule: [...parts, action].filter(Boolean).join(' ') };
  };
}
