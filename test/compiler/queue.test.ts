// `queue` in all of nft 1.0.6's forms: bytecode and errors as live nft gives
// them, the listing in nft's newer form. Kernels built without nft_queue
// refuse the rules ("Could not process rule"), after nft has printed their
// bytecode, so that is read from nft's output whatever its exit status.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { liveNftReason, ourDebugText } from './live-nft.js';

const table = (rules: string[]) => `table inet t {\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n${rules.map((r) => `\t\t${r}\n`).join('')}\t}\n}\n`;

function nft(text: string): { stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nftwasm-'));
  const path = join(dir, 'rules.nft');
  writeFileSync(path, text);
  const r = spawnSync('unshare', ['-rn', 'nft', '-c', '--debug=netlink', '-f', path], { encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr.replaceAll(path, 'rules.nft') };
}

// Each form and how nft lists it.
const FORMS: [string, string][] = [
  ['queue', 'queue to 0'],
  ['queue num 2', 'queue to 2'],
  ['queue num 0x10', 'queue to 16'],
  ['queue num 65535', 'queue to 65535'],
  ['queue num 2-3', 'queue to 2-3'],
  ['queue num 5-5', 'queue to 5'],
  ['queue num 4-5 fanout bypass', 'queue flags bypass,fanout to 4-5'],
  ['queue num 4-5 fanout', 'queue flags fanout to 4-5'],
  ['queue bypass num 3', 'queue flags bypass to 3'],
  ['queue num 2 bypass', 'queue flags bypass to 2'],
  ['queue fanout', 'queue flags fanout to 0'],
  ['queue num 1-2 num 3', 'queue to 3'],
  ['queue to 2', 'queue to 2'],
  ['queue flags bypass to jhash ip saddr mod 4', 'queue flags bypass to jhash ip saddr mod 4'],
  ['queue to 1-65535', 'queue to 1-65535'],
  ['queue flags bypass to 65535', 'queue flags bypass to 65535'],
  ['queue flags bypass,fanout to 1-65535', 'queue flags bypass,fanout to 1-65535'],
  ['queue flags fanout,bypass num 4-5', 'queue flags bypass,fanout to 4-5'],
  ['tcp dport 22 queue flags bypass to 3', 'tcp dport 22 queue flags bypass to 3'],
  ['counter queue num 7', 'counter packets 0 bytes 0 queue to 7'],
  ['queue to tcp dport map { 22 : 1, 80 : 2 }', 'queue to tcp dport map { 22 : 1, 80 : 2 }'],
  ['queue flags bypass to ip saddr . tcp dport map { 1.2.3.4 . 22 : 3 }', 'queue flags bypass to ip saddr . tcp dport map { 1.2.3.4 . 22 : 3 }'],
];

const ERRORS = [
  'queue num 65536',
  'queue num 1-65536',
  'queue to 65536',
  'queue flags bypass to 70000-70001',
  'queue num 3-2',
  'queue flags bypass num 3-1',
  'queue num 4 fanout',
  'queue fanout num 7',
  'queue flags fanout to 3',
  'queue flags fanout num 3',
  'queue num 2 bypass,fanout',
  'queue flags bypass 3',
  'queue flags to 3',
  'queue num',
  'queue to 3-',
  'queue num -1',
  'queue num 3 accept',
  'queue to 3 bypass',
  'tcp dport 22 queue counter',
  'queue flags fanout to tcp dport map { 22 : 1 }',
  'queue to tcp dport map { 22 : 70000 }',
  'queue to oif',
];

describe('queue', () => {
  it('lists each form as nft lists it', () => {
    const listing = compile(table(FORMS.map(([rule]) => rule))).toListing();
    const rules = listing.split('\n').filter((l) => l.startsWith('\t\t') && !l.includes('type filter'));
    expect(rules.map((l) => l.trim())).toEqual(FORMS.map(([, listed]) => listed));
  });

  it('takes the queue number from a hash or a number generator, as nft compiles it', () => {
    expect(ourDebugText(table(['queue to symhash mod 2'])).out).toContain('  [ hash reg 1 = symhash() % mod 2 ]\n  [ queue sreg_qnum 1 ]\n');
    expect(ourDebugText(table(['queue flags bypass to numgen inc mod 4 offset 2'])).out).toContain('  [ numgen reg 1 = inc mod 4 offset 2 ]\n  [ queue sreg_qnum 1 bypass ]\n');
  });
});

describe.skipIf(liveNftReason())('queue against live nft', () => {
  it('compiles every form to the same bytecode', () => {
    const source = table(FORMS.map(([rule]) => rule));
    expect(compile(source).toNetlinkDebug()).toBe(nft(source).stdout);
  });

  it.each(ERRORS)('%s: the same error', (rule) => {
    const source = table([rule]);
    const ours = ourDebugText(source);
    expect(ours.ok).toBe(false);
    expect(ours.out).toBe(nft(source).stderr.trimEnd());
  });
});
