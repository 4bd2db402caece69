// What `nftwasm filter --workers N` takes it answers as one data plane does;
// what it cannot take it refuses before the run, leaving no file behind.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CAPTURE, ensureBuilt, nftwasm } from './cli-run.js';

const workDir = mkdtempSync(join(tmpdir(), 'nftwasm-workers-'));
const at = (name: string) => join(workDir, name);
const rules = at('sets.nft');
beforeAll(() => {
  ensureBuilt();
  writeFileSync(rules, `table inet t {
	set clients { type ipv4_addr; elements = { 10.99.0.1 }; }
	map ports { type inet_service : verdict; elements = { 22 : drop }; }
	set timed { type ipv4_addr; timeout 1h; elements = { 10.99.0.7 }; }
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport vmap @ports
		ip saddr @clients counter accept
	}
}
`);
}, 120_000);
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const base = ['filter', '-f', rules, '-r', EXAMPLE_CAPTURE, '--local', '10.99.0.2'];

describe('nftwasm filter --workers', () => {
  it('lists named sets and maps as one data plane does', () => {
    const one = nftwasm([...base, '--list', '--conntrack', '--sysctl', 'nf_conntrack_tcp_loose=0']);
    expect(one.status).toBe(0);
    const two = nftwasm([...base, '--list', '--conntrack', '--sysctl', 'nf_conntrack_tcp_loose=0', '--workers', '2']);
    // The run's time and rate differ from run to run.
    const untimed = (stderr: string) => stderr.replace(/; \d+\.\d+ s, \d+ packets\/s$/m, '');
    expect(untimed(two.stderr)).toBe(untimed(one.stderr));
    expect(two.status).toBe(0);
    expect(two.stdout.toString()).toBe(one.stdout.toString());
    expect(one.stdout.toString()).toContain('elements = { 10.99.0.1 }');
  });

  it('writes the same capture files and JSON as one data plane', () => {
    const run = (extra: string[], tag: string) => {
      const r = nftwasm([...base, '--json', '-w', at(`a${tag}.pcap`), '--dropped', at(`d${tag}.pcapng`), '-q', ...extra]);
      expect(r.status).toBe(0);
      return r.stdout.toString();
    };
    expect(run(['--workers', '3'], '3')).toBe(run([], '1'));
    expect(readFileSync(at('a3.pcap'))).toEqual(readFileSync(at('a1.pcap')));
    expect(readFileSync(at('d3.pcapng'))).toEqual(readFileSync(at('d1.pcapng')));
  });

  for (const [what, extra] of [['--events', ['--events']], ['--trace', ['--trace', '1']], ['--trace-filter', ['--trace-filter', 'tcp dport 22']]] as const) {
    it(`refuses ${what} before the run`, () => {
      const out = at(`refused-${what}.pcap`);
      const r = nftwasm([...base, '--workers', '2', '-w', out, ...extra]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^nftwasm: --workers does not combine with/);
      expect(r.stderr.split('\n').length).toBe(2);
      expect(existsSync(out)).toBe(false);
    });
  }
});
