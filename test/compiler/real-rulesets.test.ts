// Shapes met in rulesets from public repositories (routers, servers, VPN
// gateways) that nftwasm once read otherwise than nft, each reduced to the
// smallest ruleset that showed it: bytecode, listing and errors as live nft
// gives them.
import { describe, expect, it } from 'vitest';
import { expectSameAsNft, liveNftReason, nftDebugText, ourDebugText } from './live-nft.js';

// Both errors and bytecode, without the newline nft's standard error ends in.
function compared(text: string): [{ ok: boolean; out: string }, { ok: boolean; out: string }] {
  const trim = (r: { ok: boolean; out: string }) => ({ ok: r.ok, out: r.out.trimEnd() });
  return [trim(ourDebugText(text)), trim(nftDebugText(text))];
}

function chain(spec: string, defines = ''): string {
  return `${defines}table inet t {\n\tchain c {\n\t\t${spec}\n\t\tcounter\n\t}\n}\n`;
}

describe.skipIf(liveNftReason())('real rulesets against live nft', () => {
  // `policy $FILTER_POLICY`, `priority $PRIO` in generated and templated rulesets.
  it.each([
    ['a policy define', chain('type filter hook input priority 0; policy $pol;', 'define pol = "drop"\n')],
    ['a priority define naming a standard priority', chain('type filter hook input priority $p;', 'define p = mangle\n')],
    ['a priority define holding a number', chain('type filter hook input priority $p;', 'define p = 0x10\n')],
    ['a priority define with an offset', chain('type filter hook input priority $p; policy $pol;', 'define p = "filter + 5"\ndefine pol = "accept"\n')],
    ['both in a command', 'define p = "raw"\ndefine pol = "drop"\nadd table inet t\nadd chain inet t c { type filter hook input priority $p; policy $pol; }\nadd rule inet t c counter\n'],
    ['a negative priority define', chain('type filter hook input priority $p;', 'define p = -0x10\n')],
    // OpenWrt's fw4 writes `define lan_subnets = {  }` for a zone without subnets.
    ['an empty set define left unused', chain('iifname $d', 'define e = {  }\ndefine d = { "lo" }\n')],
    ['an empty set define inside another set', chain('ip saddr { $e, 10.0.0.1 }', 'define e = { }\n')],
    ['set and map elements from defines', 'define nets = { 10.0.0.0/8, 192.168.0.0/16 }\ndefine none = { }\ndefine ok = { 10.1.1.1 : accept }\ntable inet t {\n\tset s {\n\t\ttype ipv4_addr; flags interval\n\t\telements = $nets\n\t}\n\tset e {\n\t\ttype ipv4_addr\n\t\telements = $none\n\t}\n\tmap m {\n\t\ttype ipv4_addr : verdict\n\t\telements = $ok\n\t}\n\tchain c {\n\t\tip saddr @s ip daddr vmap @m\n\t}\n}\n'],
    ['netdev and arp priorities listed as numbers', 'table netdev t {\n\tchain c {\n\t\ttype filter hook ingress device lo priority -300;\n\t}\n}\ntable arp a {\n\tchain c {\n\t\ttype filter hook input priority -145;\n\t}\n}\n'],
  ])('%s', (_, text) => expectSameAsNft(text));

  it.each([
    ['a policy define that is no policy', chain('type filter hook input priority 0; policy $pol;', 'define pol = "reject"\n')],
    ['a priority define that is no priority', chain('type filter hook input priority $p;', 'define p = "filter+5"\n')],
    ['an empty set define used', chain('ip saddr $e', 'define e = {  }\n')],
    ['an empty set define alone in braces', chain('tcp dport { $e } accept', 'define e = { }\n')],
    ['set elements from a define that is no set', 'define d = 10.1.1.1\ntable inet t {\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = $d\n\t}\n}\n'],
    // Rulesets saved with Windows line ends: the carriage return is junk to nft.
    ['a define, a command and an include ended by CRLF', 'define wan = eth0\r\ndefine lan = $wan\r\nflush ruleset\r\nadd table inet x\r\ninclude "/dev/null"\r\ntable inet t {\r\n}\r\n'],
    ['a define and an include without their separator at the end', 'include "/dev/null" flush ruleset\ndefine a = 1'],
    ['a standard priority netdev does not have', 'table netdev t {\n\tchain c {\n\t\ttype filter hook ingress device lo priority raw;\n\t}\n}\n'],
    ['a standard priority arp does not have', 'table arp t {\n\tchain c {\n\t\ttype filter hook input priority mangle;\n\t}\n}\n'],
    ['a flowtable priority netdev does not have', 'table inet t {\n\tflowtable f {\n\t\thook ingress priority raw; devices = { lo }\n\t}\n}\n'],
  ])('%s', (_, text) => {
    const [ours, theirs] = compared(text);
    expect(ours).toEqual(theirs);
  });
});
