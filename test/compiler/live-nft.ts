// Runs the real nft in a throwaway user and network namespace, so tests can
// compare with it without changing the host.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { compile, NftError } from '../../compiler/index.js';

let reason: string | false | undefined;

// Why the live nft cannot be used here, or false when it can.
export function liveNftReason(): string | false {
  if (reason !== undefined) return reason;
  const r = spawnSync('unshare', ['-rn', 'nft', '-c', '-f', '/dev/null'], { encoding: 'utf8' });
  reason = r.error ? `nft or unshare unavailable: ${r.error.message}` : r.status !== 0 ? `unshare -rn nft failed: ${r.stderr.trim()}` : false;
  if (reason) console.log(`skipping live nft comparison: ${reason}`);
  return reason;
}

export function nftDebug(path: string): string {
  return execFileSync('unshare', ['-rn', 'nft', '-c', '--debug=netlink', '-f', path], { encoding: 'utf8' });
}

// Bytecode for a ruleset given as text (or as JSON with flags ['-j']), or
// the error nft prints for it.
export function nftDebugText(text: string, flags: string[] = []): { ok: boolean; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nftwasm-'));
  const path = join(dir, 'rules.nft');
  writeFileSync(path, text);
  const r = spawnSync('unshare', ['-rn', 'nft', ...flags, '-c', '--debug=netlink', '-f', path], { encoding: 'utf8' });
  // Errors name the file as given to nft: here, as compile() is told to.
  return { ok: r.status === 0, out: r.status === 0 ? r.stdout : r.stderr.replaceAll(path, 'rules.nft') };
}

// What nft -c --debug=netlink prints for a ruleset given as text: the
// bytecode it sends, also when the kernel then refuses it (statements this
// kernel lacks), or else nft's own error.
export function nftBytecodeOrError(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nftwasm-'));
  const path = join(dir, 'rules.nft');
  writeFileSync(path, text);
  const r = spawnSync('unshare', ['-rn', 'nft', '-c', '--debug=netlink', '-f', path], { encoding: 'utf8' });
  const bytecode = r.stdout.split('\n').filter((l) => l.startsWith('  ['));
  return bytecode.length ? bytecode.join('\n') : r.stderr.replaceAll(path, 'rules.nft').trimEnd();
}

// The kernel's answer to loading a ruleset given as text (a real load, which
// validates what `nft -c` does not, such as the hooks statements may run
// at): nft's errors.
export function nftLoadText(text: string): { ok: boolean; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nftwasm-'));
  const path = join(dir, 'rules.nft');
  writeFileSync(path, text);
  const r = spawnSync('unshare', ['-rn', 'nft', '-f', path], { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stderr.replaceAll(path, 'rules.nft').trimEnd() };
}

// What `nft list ruleset` prints after loading a ruleset given as text.
export function nftListingText(text: string, flags: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'nftwasm-'));
  const path = join(dir, 'rules.nft');
  writeFileSync(path, text);
  const r = spawnSync('unshare', ['-rn', 'sh', '-c', `nft -f ${path} && nft ${flags.join(' ')} list ruleset`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

// The same as nftDebugText, from the compiler: the bytecode, or every error.
export function ourDebugText(text: string): { ok: boolean; out: string } {
  try {
    return { ok: true, out: compile(text, { filename: 'rules.nft' }).toNetlinkDebug() };
  } catch (e) {
    if (!(e instanceof NftError)) throw e;
    return { ok: false, out: e.message };
  }
}

// A ruleset live nft accepts compiles to nft's bytecode and lists as nft
// lists it once loaded (with listing flags such as -a).
export function expectSameAsNft(text: string, listingFlags: string[] = []): void {
  const theirs = nftDebugText(text);
  expect(theirs.ok).toBe(true);
  expect(ourDebugText(text)).toEqual(theirs);
  expect(compile(text, { filename: 'rules.nft' }).toListing({ handles: listingFlags.includes('-a') })).toBe(nftListingText(text, listingFlags));
}

// One rule, then a counter, in an inet input chain: compiled and listed as
// live nft does.
export function expectRuleSameAsNft(rule: string): void {
  expectSameAsNft(`table inet t {\n\tchain c {\n\t\ttype filter hook input priority filter; policy accept;\n\t\t${rule} counter\n\t}\n}\n`);
}
