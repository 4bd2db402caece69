// Differential fuzzing of mistakes against the live nft: generated rules
// with one token dropped, doubled, swapped with the next or replaced by a
// keyword, a number or a name, compiled by both; the outcome compared in
// full (bytecode, or every error nft prints with its place and carets).
import { describe, expect, it } from 'vitest';
import { liveNftReason, nftDebugText, ourDebugText } from './live-nft.js';
import { generator, prng } from './rule-generator.js';

const SEED = 0xbad5eed;
const COUNT = 300;
// Raise as the compiler improves.
const FLOOR = 276;

const REPLACEMENTS = ['accept', 'counter', 'tcp', 'ip', 'saddr', 'ct', 'state', '{', '}', ',', '-', '/', '.', '==', '0', '70000', 'foo', '"x"', '@s', '$v', ';'];

function mutate(rule: string, rand: () => number): string {
  const tokens = rule.split(' ');
  const i = Math.floor(rand() * tokens.length);
  const kind = Math.floor(rand() * 4);
  if (kind === 0 && tokens.length > 1) tokens.splice(i, 1);
  else if (kind === 1) tokens.splice(i, 0, tokens[i]!);
  else if (kind === 2 && i + 1 < tokens.length) [tokens[i], tokens[i + 1]] = [tokens[i + 1]!, tokens[i]!];
  else tokens[i] = REPLACEMENTS[Math.floor(rand() * REPLACEMENTS.length)]!;
  return tokens.join(' ');
}

const reason = liveNftReason();

describe.skipIf(reason)('differential fuzzing of mistakes against nft', () => {
  it(`agrees on ${COUNT} mangled rules (seed ${SEED})`, () => {
    const rand = prng(SEED);
    const next = generator(rand);
    let agree = 0;
    const disagreements: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const { family, rule } = next();
      const bad = mutate(rule, rand);
      const hook = family === 'netdev' ? 'ingress device lo' : family === 'bridge' ? 'input' : 'output';
      const text = `table ${family} t {\n\tset s {\n\t\ttype ipv4_addr\n\t}\n\tchain c {\n\t\ttype filter hook ${hook} priority 0; policy accept;\n\t\t${bad}\n\t}\n}\n`;
      const real = nftDebugText(text);
      const ours = ourDebugText(text);
      if (real.ok === ours.ok && real.out.trimEnd() === ours.out.trimEnd()) agree++;
      else disagreements.push(`${family}: ${bad}\n  nft:  ${real.out.trimEnd().split('\n').join('\n        ')}\n  ours: ${ours.out.trimEnd().split('\n').join('\n        ')}`);
    }
    if (process.env.NFTWASM_FUZZ_VERBOSE) console.log(disagreements.join('\n'));
    console.log(`fuzz: ${agree}/${COUNT} mangled rules agree with nft`);
    expect(agree).toBeGreaterThanOrEqual(FLOOR);
  }, 300_000);
});
