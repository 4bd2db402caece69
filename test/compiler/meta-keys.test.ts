// The meta keys that need no device: random, cpu, skuid/skgid by name,
// cgroup, ipsec, rtclassid; bytecode and listing as live nft's.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { liveNftReason, nftDebugText, nftListingText } from './live-nft.js';

const RULES = `table inet t {
	chain c {
		type filter hook input priority 0;
		meta random 3 counter
		meta random < 1000 counter
		meta cpu 0 counter
		meta skuid "nobody" counter
		meta skgid "root" counter
		skuid 1000 counter
		meta cgroup 5 counter
		meta secpath exists counter
		meta ipsec missing counter
		meta rtclassid 3 counter
		meta rtclassid "cosmos" counter
		meta length 100 counter
	}
}
`;

// As getpwnam and getgrnam answer on Debian.
const ACCOUNTS = { users: new Map([['root', 0], ['nobody', 65534]]), groups: new Map([['root', 0], ['nogroup', 65534]]) };

describe('meta keys without devices', () => {
  it('resolve user and group names when the ruleset is read', () => {
    const r = compile(RULES, { accounts: ACCOUNTS });
    expect(r.toNetlinkDebug()).toContain('[ meta load skuid => reg 1 ]\n  [ cmp eq reg 1 0x0000fffe ]');
    expect(r.toNetlinkDebug()).toContain('[ meta load prandom => reg 1 ]\n  [ cmp eq reg 1 0x03000000 ]');
    expect(r.toListing()).toContain('meta ipsec exists counter');
    expect(() => compile(RULES)).toThrow('User does not exist');
    expect(() => compile(RULES.replace('"nobody"', '65534'))).toThrow('Group does not exist');
  });

  it.skipIf(liveNftReason())('compile and list as nft does', () => {
    const r = compile(RULES, { accounts: ACCOUNTS });
    expect(r.toNetlinkDebug()).toBe(nftDebugText(RULES).out);
    expect(r.toListing()).toBe(nftListingText(RULES));
  });
});
