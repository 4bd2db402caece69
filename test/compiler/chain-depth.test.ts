// Chains that loop, or reach 16 deep from a base chain, are refused as the
// kernel refuses them when it loads the ruleset: "Too many links", on the
// rule that made the fault and every later rule of that table. Compared
// with the kernel itself, loading each ruleset in a throwaway namespace.
import { describe, expect, it } from 'vitest';
import { liveNftReason, nftLoadText, ourDebugText } from './live-nft.js';

const BASE = 'type filter hook input priority 0; policy accept;';
const chain = (name: string, rules: string[]) => `\tchain ${name} {\n${rules.map((r) => `\t\t${r}\n`).join('')}\t}\n`;
const table = (...chains: string[]) => `table ip t {\n${chains.join('')}}\n`;

// n regular chains, each jumping (or going) to the next, below a base chain.
function ladder(n: number, verb: 'jump' | 'goto', lastEmpty = false): string {
  const chains = Array.from({ length: n }, (_, i) => chain(`c${i}`, i < n - 1 ? [`${verb} c${i + 1}`] : lastEmpty ? [] : ['counter']));
  return table(...chains, chain('in', [BASE, `${verb} c0`]));
}

const CASES: Record<string, string> = {
  'goto loop reached from a base chain': table(chain('a', ['goto b']), chain('b', ['goto a']), chain('in', [BASE, 'jump a'])),
  'jump loop, later rules refused too': table(chain('in', [BASE, 'counter', 'jump a', 'counter']), chain('a', ['goto b', 'counter']), chain('b', ['jump a']), chain('c', ['counter'])),
  'loop reached from two base chains': table(chain('in', [BASE, 'jump a']), chain('out', ['type filter hook output priority 0; policy accept;', 'jump b']), chain('a', ['jump b']), chain('b', ['jump a'])),
  'loop through a verdict map': table(chain('in', [BASE, 'tcp dport vmap { 22 : jump a }']), chain('a', ['jump b']), chain('b', ['udp dport 1 jump a'])),
  'loop no base chain reaches': table(chain('a', ['jump b']), chain('b', ['tcp dport 22 jump a'])),
  'chain jumping to itself, unreached': table(chain('a', ['jump a'])),
  '15 chains deep': ladder(15, 'jump'),
  '16 chains deep': ladder(16, 'jump'),
  '16 chains deep by goto': ladder(16, 'goto'),
  '16 chains deep, the last empty': ladder(16, 'jump', true),
  'a second table unaffected': table(chain('a', ['goto b']), chain('b', ['goto a']), chain('in', [BASE, 'jump a'])) + 'table ip u {\n' + chain('in', [BASE, 'counter']) + '}\n',
};

describe('chain loops and depth', () => {
  it('a loop is an error, not a filter that runs forever', () => {
    const r = ourDebugText(CASES['goto loop reached from a base chain']!);
    expect(r.ok).toBe(false);
    expect(r.out).toContain('Could not process rule: Too many links');
  });
});

describe.skipIf(liveNftReason())('chain loops and depth against the kernel', () => {
  it.each(Object.keys(CASES))('%s', (name) => {
    const source = CASES[name]!;
    const kernel = nftLoadText(source);
    const ours = ourDebugText(source);
    expect(ours.ok).toBe(kernel.ok);
    if (!kernel.ok) expect(ours.out).toBe(kernel.out);
  });
});
