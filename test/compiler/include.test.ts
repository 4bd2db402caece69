// include as nft reads it: wildcards, files in order, nft's search path,
// and define, redefine and undefine, against live nft.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, NftError } from '../../compiler/index.js';
import { liveNftReason, nftDebugText, ourDebugText } from './live-nft.js';
import { BIN, ensureBuilt } from '../host/cli-run.js';

// A directory of files; main.nft is compiled from there by both.
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nftwasm-include-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text.replaceAll('@DIR@', dir));
  }
  return dir;
}

function theirs(dir: string, includeDirs: string[]): { ok: boolean; out: string } {
  const args = includeDirs.flatMap((d) => ['-I', d]);
  const r = spawnSync('unshare', ['-rn', 'nft', '-c', '--debug=netlink', ...args, '-f', 'main.nft'], { cwd: dir, encoding: 'utf8' });
  return { ok: r.status === 0, out: r.status === 0 ? r.stdout : r.stderr };
}

function ours(dir: string, includeDirs: string[]): { ok: boolean; out: string } {
  const read = (p: string): string => readFileSync(p.startsWith('/') ? p : join(dir, p), 'utf8');
  const listDir = (d: string): string[] => readdirSync(d.startsWith('/') ? d : join(dir, d));
  try {
    const r = compile(read('main.nft'), { filename: 'main.nft', readFile: read, listDir, includeDirs: includeDirs.length ? includeDirs : undefined });
    return { ok: true, out: r.toNetlinkDebug() };
  } catch (e) {
    if (!(e instanceof NftError)) throw e;
    return { ok: false, out: e.message + '\n' };
  }
}

const chains = {
  'rules.d/10-a.nft': 'add chain ip t a\nadd rule ip t a meta mark 1\n',
  'rules.d/20-b.nft': 'add chain ip t b\nadd rule ip t b meta mark 2\n',
  'rules.d/.hidden.nft': 'add chain ip t hidden\n',
  'rules.d/notes.txt': 'not nft\n',
};

const cases: Record<string, { files: Record<string, string>; dirs?: string[] }> = {
  'a wildcard takes every match in order': { files: { ...chains, 'main.nft': 'table ip t\ninclude "@DIR@/rules.d/*.nft"\n' } },
  'a wildcard matching nothing is no error': { files: { 'main.nft': 'table ip t\ninclude "@DIR@/rules.d/*.nft"\n' } },
  'a relative name from the working directory': { files: { ...chains, 'main.nft': 'table ip t\ninclude "./rules.d/2*.nft"\n' } },
  'a bare name along the search path': { files: { ...chains, 'main.nft': 'table ip t\ninclude "10-a.nft"\ninclude "b/*.nft"\n', 'inc/b/x.nft': 'add chain ip t x\n' }, dirs: ['@DIR@/nothing', '@DIR@/rules.d', '@DIR@/inc'] },
  'inside a table block, defines included': { files: { 'parts/1.nft': 'chain a {\n\tmeta mark 1\n}\nset s { type ipv4_addr; }\n', 'parts/2.nft': 'define Z = 7\nchain b {\n\tmeta mark $Z\n\tip saddr @s\n}\n', 'main.nft': 'table ip t {\n\tinclude "./parts/*.nft"\n\tchain c {\n\t\tmeta mark $Z\n\t}\n}\n' } },
  'a missing file inside a table block': { files: { 'main.nft': 'table ip t {\n\tinclude "./nope.nft"\n\tchain c {\n\t}\n}\n' } },
  'a missing file, and what nft drops after': { files: { 'main.nft': 'table ip t\ninclude "./a.nft"\ninclude "./b.nft"\ninclude "@DIR@/c.nft"\ninclude "d.nft"\n' } },
};

describe.skipIf(liveNftReason())('include against live nft', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(name, () => {
      const dir = tree(c.files);
      const dirs = (c.dirs ?? []).map((d) => d.replaceAll('@DIR@', dir));
      const t = theirs(dir, dirs);
      expect(ours(dir, dirs)).toEqual({ ok: t.ok, out: t.out.replaceAll(dir, dir) });
    });
  }
});

describe.skipIf(liveNftReason())('the command line\'s -I against nft -I', () => {
  it('searches /etc, then each directory in the order given', () => {
    ensureBuilt();
    const dir = tree({ 'one/a.nft': 'add table ip t\nadd chain ip t a\nadd rule ip t a meta mark 1\n', 'two/a.nft': 'add table ip t\nadd chain ip t a\nadd rule ip t a meta mark 2\n', 'main.nft': 'include "a.nft"\n' });
    const dirs = [join(dir, 'two'), join(dir, 'one')];
    const r = spawnSync('node', [BIN, 'compile', '--debug=netlink', ...dirs.flatMap((d) => ['-I', d]), '-f', 'main.nft'], { cwd: dir, encoding: 'utf8' });
    expect(r.stdout).toContain('0x00000002');
    expect({ ok: r.status === 0, out: r.status === 0 ? r.stdout : r.stderr }).toEqual(theirs(dir, dirs));
  });
});

const definitions: Record<string, string> = {
  'redefine': 'define X = 1\nredefine X = 2\ntable ip t {\n\tchain c {\n\t\tmeta mark $X\n\t}\n}\n',
  'undefine': 'define X = 1\nundefine X\nundefine Y\ntable ip t {\n\tchain c {\n\t\tmeta mark $X\n\t}\n}\n',
  'define twice': 'define X = 1\ndefine X = 2\ntable ip t {\n\tchain c {\n\t\tmeta mark $X\n\t}\n}\n',
  'defines of a table block are its own': 'define X = 1\ntable ip t {\n\tdefine Y = 2\n\tredefine X = 3\n\tchain c {\n\t\tmeta mark $Y\n\t\tmeta mark $X\n\t}\n}\ntable ip u {\n\tchain c {\n\t\tmeta mark $X\n\t}\n}\n',
  'a table block define unknown outside': 'table ip t {\n\tdefine Y = 2\n}\ntable ip u {\n\tchain c {\n\t\tmeta mark $Y\n\t}\n}\n',
};

describe.skipIf(liveNftReason())('define, redefine and undefine against live nft', () => {
  for (const [name, text] of Object.entries(definitions)) {
    it(name, () => {
      const t = nftDebugText(text);
      const o = ourDebugText(text);
      expect({ ok: o.ok, out: o.ok ? o.out : `${o.out}\n` }).toEqual(t);
    });
  }
});
