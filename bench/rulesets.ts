// Crafted rulesets that isolate one cost each: every rule misses, so every
// packet pays for all of them, and the difference to an empty chain is what
// the rules cost.
const HEADER = 'table ip bench {\n';
const CHAIN_START = '\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n';

function table(rules: readonly string[], sets = ''): string {
  return `${HEADER}${sets}${CHAIN_START}${rules.map((r) => `\t\t${r}\n`).join('')}\t}\n}\n`;
}

export const emptyChain = (): string => table([]);

export const RULE_KINDS = {
  'payload cmp (ip saddr)': (i: number) => `ip saddr 172.16.0.${i + 1} drop`,
  'meta cmp (meta mark)': (i: number) => `meta mark ${i + 1} drop`,
  'bitwise+cmp (prefix)': (i: number) => `ip saddr 172.${16 + i}.0.0/16 drop`,
  'range (udp dport a-b)': (i: number) => `udp dport ${10000 + i * 10}-${10005 + i * 10} drop`,
  'anonymous set (udp dport {..})': (i: number) => `udp dport { ${20000 + i * 3}, ${20001 + i * 3}, ${20002 + i * 3} } drop`,
  'ct state (load+bitwise+cmp)': () => 'ct state untracked drop',
} as const;
export type RuleKind = keyof typeof RULE_KINDS;

export function repeatedRule(kind: RuleKind, count: number): string {
  return table(Array.from({ length: count }, (_, i) => RULE_KINDS[kind](i)));
}

// A stateful baseline for the ct kind: conntrack runs, one rule that misses.
export const conntrackOnly = (): string => table(['ct state untracked drop']);

// Rules that each compare the source address with one that never appears.
export function linearRules(count: number): string {
  return table(Array.from({ length: count }, (_, i) => `ip saddr 172.${16 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff} drop`));
}

function address(i: number): string {
  return `172.${16 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}`;
}

// A named set of `size` addresses the traffic never uses, looked up once per
// packet; with interval, that many disjoint ranges instead.
export function setLookup(size: number, interval: boolean): string {
  const elements = Array.from({ length: size }, (_, i) => (interval ? `${address(i * 4)}-${address(i * 4 + 2)}` : address(i)));
  const set = `\tset s {\n\t\ttype ipv4_addr\n${interval ? '\t\tflags interval\n' : ''}\t\telements = { ${elements.join(', ')} }\n\t}\n`;
  return table(['ip saddr @s drop'], set);
}

// Conntrack hit and miss: with a drop policy nothing is confirmed, so every
// packet of a capture of distinct tuples misses; an accepting chain confirms
// each flow on its first packet and every later packet hits.
export function conntrackChain(confirm: boolean): string {
  return `${HEADER}\tchain forward {\n\t\ttype filter hook forward priority filter; policy ${confirm ? 'accept' : 'drop'};\n\t\tct state established accept\n\t}\n}\n`;
}
