// README's figures and claims, tied to where they come from: the benchmark
// results, the constants of the code, the meta keys the data plane matches.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../src/index.js';
import { NFT_VERSION } from '../compiler/index.js';
import { DEFAULT_BATCH_BYTES, READ_BLOCKS_PER_BUFFER } from '../src/filter.js';
import { PROGRESS_MIN_BYTES } from '../src/output/progress.js';

const read = (rel: string) => readFileSync(new URL(rel, import.meta.url), 'utf8');
// Paragraphs joined into one line each: README wraps its sentences anywhere.
const readme = read('../README.md').replace(/\n(?!\n)\s*/g, ' ');
const results = read('../bench/RESULTS.md');

// The cell of `column` in the row of `contender` in the table under the
// heading that contains `section`.
function cell(section: string, contender: string, column: string): string {
  const table = results.slice(results.indexOf(section)).split('\n## ')[0]!;
  const rows = table.split('\n').filter((l) => l.startsWith('|')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  const col = rows[0]!.findIndex((h) => h.startsWith(column));
  const row = rows.find((r) => r[0] === contender);
  expect(row, `${contender} in ${section}`).toBeDefined();
  return row![col]!;
}

describe('README', () => {
  it('gives the figures of bench/RESULTS.md', () => {
    const ratio = (shape: string) => cell(`## Whole runs, ${shape}: 1000000 packets`, 'nftwasm filter', 'ratio to tcpdump');
    const startup = (who: string) => cell('## Start-up', who, 'median s');
    expect(readme).toContain(`is ${ratio('mix')} on the mix, ${ratio('few large')} on the few large connections and ${ratio('syn flood')} on the SYN flood`);
    expect(readme).toContain(`start-up takes ${startup('nftwasm filter')} s against tcpdump's ${startup('tcpdump')} s`);
  });

  it('gives the input buffer and read block sizes of the code', () => {
    expect(readme).toContain(`${DEFAULT_BATCH_BYTES >> 20} MiB input buffer and processed ${DEFAULT_BATCH_BYTES / READ_BLOCKS_PER_BUFFER / 1024} KiB at a time`);
  });

  it('gives the capture size from which a progress bar is drawn', () => {
    expect(readme).toContain(`for captures of ${PROGRESS_MIN_BYTES >> 20} MiB and more`);
  });

  it('names the nft version the compiler mirrors', () => {
    expect(readme).toContain(`the nft version whose language and output it mirrors (${NFT_VERSION})`);
  });
});

describe('docs/language.md: meta keys', () => {
  const docs = read('../docs/language.md').replace(/\n(?!\n)\s*/g, ' ');
  const list = (re: RegExp) => re.exec(docs)![1]!.split('|');
  const matched = list(/- `meta ([a-z0-9|]+)` and the unqualified forms/);
  const never = list(/`meta ([a-z0-9|]+)` end the rule/);
  // A value of each key's type that no packet of the example has.
  const other: Record<string, string> = {
    l4proto: '255', nfproto: 'ipv6', protocol: 'ip6', mark: '1', length: '1', pkttype: 'broadcast', iiftype: 'ppp',
    iif: '"lo"', oif: '"lo"', iifname: '"x"', oifname: '"x"', skuid: '4242', skgid: '4242', cpu: '99',
  };

  async function matches(key: string): Promise<bigint> {
    expect(other[key], `a value for meta ${key}`).toBeDefined();
    const ruleset = compile(`table inet t {\n\tchain c {\n\t\ttype filter hook input priority 0;\n\t\tmeta ${key} != ${other[key]} counter\n\t}\n}\n`);
    const filter = await createFilter(ruleset, { local: ['10.99.0.2'] });
    filter.processCapture(readFileSync(new URL('../examples/web.pcap', import.meta.url)));
    return filter.counters()[0]!;
  }

  it('lists both kinds', () => {
    expect(matched.length).toBeGreaterThan(0);
    expect(never.length).toBeGreaterThan(0);
  });

  it('those it says are matched match', async () => {
    for (const key of matched) expect(await matches(key), `meta ${key}`).toBeGreaterThan(0n);
  });

  it('those it says end the rule never match', async () => {
    for (const key of never) expect(await matches(key), `meta ${key}`).toBe(0n);
  });
});
