// --json with --list and --conntrack: one stream of JSON objects that jq
// reads whole, the listing and the table as objects after the packets.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CAPTURE, EXAMPLE_RULESET, nftwasm } from './cli-run.js';
import { hasTool } from './harness.js';

const base = ['filter', '-f', EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, '--local', '10.99.0.2', '-q'];

function objects(out: Buffer): Array<Record<string, any>> {
  return out.toString().trimEnd().split('\n').map((l) => JSON.parse(l));
}

describe('--json --list --conntrack', () => {
  const json = nftwasm([...base, '--json', '--events', '--list', '--conntrack']);
  const text = nftwasm([...base, '--list']).stdout.toString();
  const table = nftwasm([...base, '--conntrack']).stdout.toString().trimEnd().split('\n');

  it('every line of standard output is a JSON object', () => {
    expect(json.status).toBe(0);
    const all = objects(json.stdout);
    expect(all.filter((o) => o.type === 'packet')).toHaveLength(53);
    expect(all.at(-2)!.type).toBe('listing');
    expect(all.at(-1)!.type).toBe('conntrack');
  });

  it.skipIf(!hasTool('jq'))('jq reads the stream', () => {
    const types = execFileSync('jq', ['-r', '.type'], { input: json.stdout }).toString().trimEnd().split('\n');
    expect(types.slice(-2)).toEqual(['listing', 'conntrack']);
  });

  it('the listing: the text --list prints, and each rule counter as numbers', () => {
    const listing = objects(json.stdout).at(-2)!;
    expect(listing.ruleset).toBe(text);
    expect(listing.counters).toContainEqual({ family: 'inet', table: 'filter', chain: 'input', handle: 8, packets: 2, bytes: 120 });
    // As many counters as the text shows, with the same values in order.
    const fromText = [...text.matchAll(/counter packets (\d+) bytes (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(listing.counters.map((c: any) => [c.packets, c.bytes])).toEqual(fromText);
  });

  it('the table: an object per entry of what --conntrack prints', () => {
    const ct = objects(json.stdout).at(-1)!;
    expect(ct.entries).toHaveLength(table.length);
    for (const [i, e] of ct.entries.entries()) {
      const line = table[i]!;
      expect(line).toMatch(new RegExp(`^${e.l3proto} +2 ${e.l4proto} +\\d+ ${e.timeout} ${e.state ? `${e.state} ` : ''}src=${e.original.src} dst=${e.original.dst} `));
      expect(line).toMatch(new RegExp(` mark=${e.mark} use=${e.use} id=${e.id}$`));
      expect(line.includes('[ASSURED]')).toBe(e.assured);
      expect(line.includes('[UNREPLIED]')).toBe(!e.seenReply);
    }
    expect(ct.time).toMatch(/^\d+\.\d{9}$/);
  });
});
