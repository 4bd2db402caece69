// Ethernet header fields and standard priorities in each family, as live nft
// compiles and lists them: the meta iiftype dependency outside a bridge
// (listed only when nothing implies it), the bridge's own priority names.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { liveNftReason, nftDebugText, nftListingText } from './live-nft.js';

const ruleset = (family: string) => {
  const hook = family === 'netdev' ? 'ingress device lo' : 'input';
  return `table ${family} t {
	chain c {
		type filter hook ${hook} priority 0;
		ether saddr 00:11:22:33:44:55 ether daddr 00:11:22:33:44:66
		meta iiftype ether ether type ip
		ether type vlan counter
		meta iiftype ether counter
		meta iiftype { loopback, ppp }
	}
	chain d {
		type filter hook ${hook} priority filter + 5;
	}
}
${family === 'bridge' ? 'table bridge u {\n\tchain o {\n\t\ttype filter hook output priority out;\n\t}\n\tchain p {\n\t\ttype filter hook prerouting priority dstnat;\n\t}\n\tchain q {\n\t\ttype filter hook input priority -200;\n\t}\n}\n' : ''}`;
};

describe.skipIf(liveNftReason())('link layer against live nft', () => {
  it.each(['ip', 'ip6', 'inet', 'bridge', 'netdev'])('%s: same bytecode and listing', (family) => {
    const source = ruleset(family);
    const r = compile(source);
    expect(r.toNetlinkDebug()).toBe(nftDebugText(source).out);
    expect(r.toListing()).toBe(nftListingText(source));
  });
});
