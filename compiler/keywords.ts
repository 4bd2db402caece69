// The words nft's scanner returns as keywords whatever it is reading: nft
// names them in its syntax errors ("unexpected drop") and refuses them, like
// quoted strings, where a table, chain, set or object name goes ("expecting
// string"). Found by trying each word of the language as a table name with
// nft 1.0.6, which refused these 153; the operators among them it names
// by their symbols.
const OPERATORS: [string, string][] = [
  ['and', '&'],
  ['eq', '=='],
  ['ge', '>='],
  ['gt', '>'],
  ['le', '<='],
  ['lshift', '<<'],
  ['lt', '<'],
  ['ne', '!='],
  ['not', '!'],
  ['or', "'|'"],
  ['rshift', '>>'],
  ['xor', '^'],
];

const KEYWORDS = new Map<string, string>([
  ...[
    'accept', 'add', 'ah', 'all', 'arp', 'auto-merge', 'bridge', 'cgroup',
    'chain', 'comment', 'comp', 'constant', 'continue', 'counter', 'cpu',
    'create', 'ct', 'day', 'dccp', 'define', 'delete', 'describe', 'device',
    'devices', 'dnat', 'drop', 'dst', 'dup', 'dynamic', 'ecn', 'element',
    'elements', 'esp', 'ether', 'exists', 'expires', 'export', 'exthdr', 'fib',
    'flags', 'flow', 'flowtable', 'flush', 'frag', 'fwd', 'gc-interval', 'get',
    'goto', 'handle', 'hbh', 'hook', 'hour', 'ibriport', 'ibrname', 'icmp',
    'icmpv6', 'igmp', 'iif', 'iifgroup', 'iifname', 'iiftype', 'import',
    'include', 'index', 'inet', 'insert', 'interval', 'ip', 'ip6', 'ipsec',
    'jhash', 'jump', 'limit', 'list', 'log', 'map', 'mark', 'masquerade', 'meta',
    'meter', 'mh', 'missing', 'monitor', 'netdev', 'nftrace', 'notrack',
    'numgen', 'obriport', 'obrname', 'offload', 'oif', 'oifgroup', 'oifname',
    'oiftype', 'osf', 'pkttype', 'policy', 'position', 'priority', 'queue',
    'quota', 'random', 'redefine', 'redirect', 'reject', 'rename', 'replace',
    'reset', 'return', 'rt', 'rt0', 'rt2', 'rtclassid', 'rule', 'ruleset',
    'sctp', 'secmark', 'set', 'size', 'skgid', 'skuid', 'snat', 'socket', 'srh',
    'symhash', 'synproxy', 'table', 'tcp', 'th', 'time', 'timeout', 'tproxy',
    'type', 'typeof', 'udp', 'udplite', 'undefine', 'update', 'vlan', 'vmap',
    'xt'
  ].map((w): [string, string] => [w, w]),
  ...OPERATORS,
]);

// How nft's syntax errors name the word when it is a keyword.
export function keywordName(word: string): string | undefined {
  return KEYWORDS.get(word);
}
