// The meta keys that need no device: random, cpu, skuid/skgid by name,
// cgroup, ipsec, rtclassid, time, day, hour; bytecode and listing as live
// nft's, hours and dates in the time zone TZ names, as nft reads them (an
// hour range crossing midnight in UTC turned inside out).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ensureBuilt } from '../host/cli-run.js';
import { compile } from '../../compiler/index.js';
import { expectSameAsNft, liveNftReason, nftDebugText, nftListingText } from './live-nft.js';

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
		meta priority root counter
		meta priority none counter
		meta priority 0x87654321 counter
		meta priority 1:1234 counter
		meta priority != aabb:0 counter
		meta priority bcad:dada-bcad:dadc counter
		meta priority { bcad:dada, aaaa:bbbb } counter
		meta priority set cafe:beef
		meta mark 0xffffff00/24 counter
		tcp dport vmap { 25:accept, 28:drop }
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

const TIMES = `table inet t {
	chain c {
		type filter hook input priority 0;
		meta time "2019-06-21 17:00:00" drop
		meta time 12341234 drop
		time < "2022-07-01 11:00:00" accept
		meta day "Saturday" drop
		meta day 2 drop
		meta hour "17:00" drop
		meta hour "00:01:05" drop
		meta hour 3600 drop
		hour "00:00"-"06:00" accept
		meta hour != "00:30"-"05:00" accept
		meta hour "22:00"-"23:30" accept
		day 1 accept
	}
}
`;

// The command line and nft both in time zone tz: --debug=netlink, then the
// listing after loading.
function inZone(tz: string, cmd: string[]): string {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', env: { ...process.env, TZ: tz } });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe('time, day and hour', () => {
  it.skipIf(liveNftReason())('compile and list as nft does in the same time zone', () => {
    ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'nftwasm-tz-'));
    const path = join(dir, 'rules.nft');
    writeFileSync(path, TIMES);
    for (const tz of ['UTC-2', 'America/New_York', 'UTC', 'Australia/Sydney']) {
      expect(inZone(tz, ['node', BIN, 'compile', '--debug=netlink', '-f', path]), tz).toBe(inZone(tz, ['unshare', '-rn', 'nft', '-c', '--debug=netlink', '-f', path]));
      expect(inZone(tz, ['node', BIN, 'list', '-f', path]), tz).toBe(inZone(tz, ['unshare', '-rn', 'sh', '-c', `nft -f ${path} && nft list ruleset`]));
    }
    expect(() => compile(TIMES.replace('day 2', 'day 7'))).toThrow();
    expect(() => compile(TIMES.replace('"17:00"', '"24:00"'))).toThrow();
  });
});

describe.skipIf(liveNftReason())('protocol matches a statement separates from the header', () => {
  it('are listed, as nft lists them', () => {
    expectSameAsNft('table inet t {\n\tchain c {\n\t\tmeta nfproto ipv4 counter ip saddr 1.2.3.4\n\t\tmeta l4proto tcp meta mark set 1 tcp dport 22\n\t\tmeta nfproto ipv4 ip saddr 1.2.3.4 counter\n\t}\n}\n');
    expectSameAsNft('table ip t {\n\tchain c {\n\t\tip protocol 6 meta mark set 0x00000001 tcp dport 22\n\t}\n}\n');
  });
});
