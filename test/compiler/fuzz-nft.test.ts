// Differential fuzzing against the live nft: rules drawn from the ct and
// payload grammar with a fixed seed, compiled by both, bytecode compared.
import { describe, expect, it } from 'vitest';
import { liveNftReason, nftDebugText, ourDebugText } from './live-nft.js';
import { generator, prng } from './rule-generator.js';

const SEED = 0x5eed;
const COUNT = 200;
// Raise as the compiler improves.
const FLOOR = 200;

const reason = liveNftReason();

describe.skipIf(reason)('differential fuzzing against nft', () => {
  it(`agrees on ${COUNT} generated rules (seed ${SEED})`, () => {
    const next = generator(prng(SEED));
    let agree = 0;
    const disagreements: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const { family, rule } = next();
      const hook = family === 'netdev' ? 'ingress device lo' : family === 'bridge' ? 'input' : 'output';
      const text = `table ${family} t {\n\tchain c {\n\t\ttype filter hook ${hook} priority 0; policy accept;\n\t\t${rule}\n\t}\n}\n`;
      const real = nftDebugText(text);
      const ours = ourDebugText(text);
      if (real.ok === ours.ok && (!real.ok || real.out === ours.out)) agree++;
      else {
        const a = real.out.split('\n');
        const b = ours.out.split('\n');
        const at = a.findIndex((l, k) => l !== b[k]);
        disagreements.push(`${family}: ${rule}\n  nft: ${real.ok ? a[at] : a[0]}\n  ours: ${ours.ok ? b[at] : b[0]}`);
      }
    }
    if (process.env.NFTWASM_FUZZ_VERBOSE) console.log(disagreements.join('\n'));
    console.log(`fuzz: ${agree}/${COUNT} rules agree with nft`);
    expect(agree).toBeGreaterThanOrEqual(FLOOR);
  }, 120_000);
});
