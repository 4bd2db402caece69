// --coverage: per rule, the packets that reached it and that it matched,
// and the rules that are shadowed, reached by no packet, or never match,
// on a capture where each is known by construction.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, createFilter, summarizeCoverage } from '../../src/index.js';
import { pcap, tcp, udp } from '../dataplane/packets.js';
import { nftwasm } from './cli-run.js';

const SERVER = '10.0.0.2';
const RULES = `table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		jump services
		tcp dport 22 counter drop
		ip saddr 203.0.113.9 drop
		udp dport 53 accept
		drop
		tcp dport 443 accept
	}

	chain services {
		tcp dport { 22, 80 } accept
	}
}
`;

// Two SSH and one web connection (a SYN and an ACK each), and DNS.
function traffic(): Uint8Array {
  const packets: number[][] = [];
  [[22, 1], [22, 2], [80, 3]].forEach(([dport, c]) => {
    const src = `10.0.1.${c}`;
    packets.push(tcp({ src, dst: SERVER, sport: 40000 + c, dport, seq: 1, flags: 0x02 }));
    packets.push(tcp({ src: SERVER, dst: src, sport: dport, dport: 40000 + c, seq: 9, ack: 2, flags: 0x12 }));
    packets.push(tcp({ src, dst: SERVER, sport: 40000 + c, dport, seq: 2, ack: 10, flags: 0x10 }));
  });
  packets.push(udp('10.0.1.9', SERVER, 5353, 53));
  return pcap(packets);
}

describe('coverage', () => {
  it('counts what reached and matched each rule, and finds the shadowed, unreached and unmatched ones', async () => {
    const filter = await createFilter(compile(RULES), { local: [SERVER], coverage: true });
    filter.processCapture(traffic());
    const rules = filter.coverage();
    const by = (text: string) => rules.find((r) => r.rule === text)!;
    // Seven packets come in: three SYNs, three ACKs of established
    // connections, one DNS query.
    expect(by('ct state established,related accept')).toMatchObject({ reached: 7, matched: 3 });
    expect(by('jump services')).toMatchObject({ reached: 4, matched: 4 });
    expect(by('tcp dport { 22, 80 } accept')).toMatchObject({ reached: 4, matched: 3, shadowed: 0 });
    // The SSH SYNs, accepted in the jumped-to chain, and the SSH ACKs,
    // accepted as established, would all have matched this rule.
    expect(by('tcp dport 22 counter drop')).toMatchObject({ reached: 1, matched: 0, shadowed: 4 });
    expect(by('ip saddr 203.0.113.9 drop')).toMatchObject({ reached: 1, matched: 0, shadowed: 0 });
    expect(by('udp dport 53 accept')).toMatchObject({ reached: 1, matched: 1 });
    // Every packet in was decided before the catch-all.
    expect(by('drop')).toMatchObject({ reached: 0, matched: 0, shadowed: 7 });
    expect(by('tcp dport 443 accept')).toMatchObject({ reached: 0, matched: 0, shadowed: 0 });
    const summary = summarizeCoverage(rules);
    expect(summary.rules).toBe(8);
    expect(summary.shadowed.map((r) => r.rule)).toEqual(['tcp dport 22 counter drop', 'drop']);
    expect(summary.unreached.map((r) => r.rule)).toEqual(['tcp dport 443 accept']);
    expect(summary.neverMatched.map((r) => r.rule)).toEqual(['ip saddr 203.0.113.9 drop']);
  });

  it('annotates the listing on the command line, and gives one JSON object with --json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nftwasm-coverage-'));
    const rules = join(dir, 'rules.nft');
    const capture = join(dir, 'in.pcap');
    writeFileSync(rules, RULES);
    writeFileSync(capture, traffic());
    const text = nftwasm(['filter', '-f', rules, '-r', capture, '--local', SERVER, '--coverage', '-q']);
    expect(text.status).toBe(0);
    const out = text.stdout.toString();
    expect(out).toContain('\t\ttcp dport 22 counter packets 0 bytes 0 drop # handle 5: reached 1, matched 0, 4 more decided earlier\n');
    expect(out).toContain('coverage: 8 rules; 2 shadowed, 1 reached by no packet, 1 reached but never matched\n');
    expect(out).toContain('  shadowed: inet filter input handle 5: tcp dport 22 counter drop (4 packets that would match it were decided by earlier rules)\n');
    const json = nftwasm(['filter', '-f', rules, '-r', capture, '--local', SERVER, '--coverage', '--json', '-q']);
    const last = JSON.parse(json.stdout.toString().trim().split('\n').at(-1)!);
    expect(last.type).toBe('coverage');
    expect(last.summary.shadowed).toEqual([{ family: 'inet', table: 'filter', chain: 'input', handle: 5 }, { family: 'inet', table: 'filter', chain: 'input', handle: 8 }]);
    const workers = nftwasm(['filter', '-f', rules, '-r', capture, '--coverage', '--workers', '2']);
    expect(workers.status).toBe(2);
  });
});
