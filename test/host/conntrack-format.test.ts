// --conntrack-format proc prints the table as /proc/net/nf_conntrack lists it.
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CAPTURE, EXAMPLE_RULESET, nftwasm } from './cli-run.js';

const run = (extra: string[]) => nftwasm(['filter', '-f', EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, '--local', '10.99.0.2', '--conntrack', '-q', ...extra]);

describe('--conntrack-format', () => {
  it('is the conntrack tool format by default', () => {
    const lines = run([]).stdout.toString().trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines.every((l) => /^ipv4 +2 (tcp|udp|icmp) .* use=1 id=\d+$/.test(l))).toBe(true);
  });

  it('prints /proc/net/nf_conntrack lines with proc', () => {
    const r = run(['--conntrack-format', 'proc']);
    expect(r.status).toBe(0);
    const lines = r.stdout.toString().trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines.every((l) => /^ipv4 +2 (tcp|udp|icmp) .* use=\d+$/.test(l))).toBe(true);
  });

  it('refuses other formats as a usage error', () => {
    const r = run(['--conntrack-format', 'xml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--conntrack-format/);
  });
});
