// What the command line says when something is wrong or missing: one clear
// message naming what and where, and the exit status for it.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CAPTURE, EXAMPLE_RULESET, nftwasm } from './cli-run.js';
import { liveNftReason } from '../compiler/live-nft.js';

const base = ['filter', '-f', EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, '--local', '10.99.0.2'];

// nft's message for a rule given on its command line, with the carets moved
// under the expression alone.
function nftCommandLineError(expr: string): string[] {
  const prefix = 'add table inet t; add chain inet t c { type filter hook prerouting priority -350; }; add rule inet t c ';
  const r = spawnSync('unshare', ['-rn', 'nft', '-c', prefix + expr], { encoding: 'utf8' });
  const [message, line, marker] = r.stderr.split('\n');
  expect(line).toBe(prefix + expr);
  return [message!, line!.slice(prefix.length), marker!.slice(prefix.length)];
}

describe('--trace-filter errors', () => {
  const cases = ['tcp dprot 22', 'ip saddr 1.2.3.256', 'udp dport "x"', 'meta mark 0x12345678901', 'ip daddr 10.0.0.1 tcp dport ssh ct state foo'];
  for (const expr of cases) {
    it.skipIf(liveNftReason())(`'${expr}': carets in the expression, where nft puts them`, () => {
      const r = nftwasm([...base, '--trace-filter', expr]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^nftwasm: --trace-filter: Error: /);
      const ours = r.stderr.replace(/^nftwasm: --trace-filter: /, '').trimEnd().split('\n');
      expect(ours).toEqual(nftCommandLineError(expr));
    });
  }

  it('what is missing at the end is marked past the end', () => {
    const r = nftwasm([...base, '--trace-filter', 'tcp dport { 22']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("nftwasm: --trace-filter: Error: syntax error, unexpected end of file, expecting comma or '}'\ntcp dport { 22\n              ^\n");
  });
});
