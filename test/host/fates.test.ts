// A packet something other than a rule dropped says so on the command line:
// its fate in --json, and with --trace when no chain saw it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pcap, udp } from '../dataplane/packets.js';
import { nftwasm } from './cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'nftwasm-fates-'));
const ruleset = join(dir, 'empty.nft');
const capture = join(dir, 'martian.pcap');
writeFileSync(ruleset, 'table inet t {\n}\n');
// 127.0.0.1 coming in on an Ethernet device.
writeFileSync(capture, pcap([udp('127.0.0.1', '10.0.0.2', 5000, 53)]));

describe('fates on the command line', () => {
  it('a martian: dropped, and why', () => {
    const json = nftwasm(['filter', '-f', ruleset, '-r', capture, '--local', '10.0.0.2', '--json', '-q']);
    expect(JSON.parse(json.stdout.toString())).toMatchObject({ packet: 1, verdict: 'drop', fate: 'martian' });
    const trace = nftwasm(['filter', '-f', ruleset, '-r', capture, '--local', '10.0.0.2', '--trace', '1', '-q']);
    expect(trace.stdout.toString()).toBe('nftwasm: --trace: packet 1 met no chain of the ruleset before routing dropped it as a martian\n');
  });
});
