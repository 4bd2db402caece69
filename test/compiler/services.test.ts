// Service names as nft resolves them when it reads a ruleset: every TCP
// and UDP name and alias of the host's /etc/services, through getaddrinfo.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { servicesFile } from '../../src/host-names.js';
import { BIN, ensureBuilt } from '../host/cli-run.js';
import { liveNftReason } from './live-nft.js';

const SERVICES = `# comment
imap2		143/tcp		imap		# Interim Mail Access P 2 and 4
openvpn		1194/tcp
openvpn		1194/udp
dhcpv6-client	546/udp
nbp		2/ddp
http		80/tcp		www		# WorldWideWeb HTTP
webx		8080/tcp
webx		8081/udp
`;

const RULE = (ports: string) => `table inet t {\n\tchain c {\n\t\ttcp dport { ${ports} } accept\n\t}\n}\n`;

describe('service names', () => {
  it('are read from a services file by name and alias, TCP and UDP, the first entry winning', () => {
    const ports = servicesFile(SERVICES);
    expect([...ports]).toEqual([['imap2', 143], ['imap', 143], ['openvpn', 1194], ['dhcpv6-client', 546], ['http', 80], ['www', 80], ['webx', 8080]]);
    expect(compile(RULE('imap, www, dhcpv6-client'), { services: ports }).toNetlinkDebug()).toContain('element 00008f00');
    expect(() => compile(RULE('nbp'), { services: ports })).toThrow('Could not resolve service');
  });

  it.skipIf(liveNftReason() || (!existsSync('/etc/services') && 'no /etc/services on this host'))('resolve every name of the host\'s /etc/services as nft does', () => {
    ensureBuilt();
    const names = [...servicesFile(readFileSync('/etc/services', 'utf8')).keys()];
    const dir = mkdtempSync(join(tmpdir(), 'nftwasm-services-'));
    const path = join(dir, 'rules.nft');
    const run = (rules: string[]) => {
      writeFileSync(path, `table inet t {\n\tchain c {\n${rules.map((n) => `\t\ttcp dport ${n} accept\n`).join('')}\t}\n}\n`);
      const ours = spawnSync('node', [BIN, 'compile', '--debug=netlink', '-f', path], { encoding: 'utf8' });
      const nft = spawnSync('unshare', ['-rn', 'nft', '-c', '--debug=netlink', '-f', path], { encoding: 'utf8' });
      expect(ours.stdout + ours.stderr).toBe(nft.stdout + nft.stderr);
      return nft;
    };
    // Names that are nft's keywords are syntax errors, for both; then every
    // other name's bytecode.
    const errors = new Set([...run(names).stderr.matchAll(/rules\.nft:(\d+):/g)].map((m) => Number(m[1]) - 3));
    const resolved = names.filter((_, i) => !errors.has(i));
    expect(resolved.length).toBeGreaterThan(100);
    expect(run(resolved).stdout.split('payload load 2b @ transport header + 2').length - 1).toBe(resolved.length);
  });
});
