// Debian's own example rulesets (/usr/share/doc/nftables/examples): every
// one live nft accepts compiles to the same bytecode and lists the same;
// the others give nft's errors where nftwasm has what they use.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, NftError } from '../../compiler/index.js';
import { liveNftReason } from './live-nft.js';

const DIR = '/usr/share/doc/nftables/examples';
const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.nft')).sort() : [];
const skip = liveNftReason() || (files.length === 0 && `${DIR} missing (Debian's nftables package)`);

// nft run where the examples are, as their `include "./..."` expect.
function nft(script: string): { ok: boolean; out: string; err: string } {
  const r = spawnSync('unshare', ['-rn', 'sh', '-c', script], { cwd: DIR, encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout, err: r.stderr };
}

// Named relative to the examples, as nft run among them names them.
function ours(file: string) {
  const read = (p: string): string => readFileSync(p.startsWith('/') ? p : join(DIR, p), 'utf8');
  return compile(read(file), { filename: file, readFile: read });
}

// What nftwasm refuses by name it has no bytecode for.
function lacking(file: string): boolean {
  try {
    ours(file);
    return false;
  } catch (e) {
    return e instanceof NftError && / is not supported by nftwasm|not supported$/m.test(e.message);
  }
}

// The examples that use what nftwasm refuses by name: none, now that NAT
// compiles (nat.nft is compared like the rest).
const LACKING: string[] = [];

// The examples nft refuses only for what a fresh namespace lacks and
// nftwasm does too (interfaces), whose errors must then be nft's.
const REFUSED_ALIKE = new Set(['sets_and_maps.nft', 'overview.nft']);

describe.skipIf(skip)("Debian's nftables examples against live nft", () => {
  for (const file of files) {
    it(file, () => {
      const theirs = nft(`nft -c --debug=netlink -f ${file}`);
      if (theirs.ok) {
        // What nftwasm lacks must be refused by name, and only in the
        // examples known to need it.
        if (lacking(file)) {
          expect(LACKING, `${file} is refused for what nftwasm lacks`).toContain(file);
          return;
        }
        const r = ours(file);
        expect(r.toNetlinkDebug()).toBe(theirs.out);
        const listed = nft(`nft -f ${file} && nft list ruleset`);
        expect(listed.ok).toBe(true);
        expect(r.toListing()).toBe(listed.out);
      } else if (REFUSED_ALIKE.has(file)) {
        let message = '';
        try {
          ours(file);
        } catch (e) {
          if (!(e instanceof NftError)) throw e;
          message = e.message;
        }
        expect(message + '\n').toBe(theirs.err);
      }
    });
  }
});
