// The package as users reach it: `import ... from 'nftwasm'` (also from
// inside the package itself), the `nftwasm` bin, and the README's example.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it, beforeAll } from 'vitest';
import { ensureBuilt, ROOT, BIN, EXAMPLE_RULESET, EXAMPLE_CAPTURE } from './host/cli-run.js';

describe('package', () => {
  beforeAll(() => ensureBuilt());

  it('resolves `nftwasm` to its own exports from inside the package', () => {
    const script = [
      "import { compile, createFilter } from 'nftwasm';",
      "import { readFileSync } from 'node:fs';",
      "const r = compile(readFileSync('examples/web.nft', 'utf8'), { filename: 'web.nft' });",
      "const f = await createFilter(r, { local: ['10.99.0.2'] });",
      "const s = f.processCapture(readFileSync('examples/web.pcap'));",
      'console.log(JSON.stringify({ packets: s.packets, dropped: s.dropped, entries: s.conntrackEntries }));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ packets: 53, dropped: 3, entries: 7 });
  });

  it('runs the README example: the listing is the kernel listing for the same traffic', () => {
    const out = execFileSync(process.execPath, [BIN, 'filter', '-f', EXAMPLE_RULESET, '-r', EXAMPLE_CAPTURE, '--local', '10.99.0.2', '--list', '-q'], { cwd: ROOT, encoding: 'utf8' });
    expect(out).toBe(readFileSync(`${ROOT}/test/fixtures/web.kernel-listing.txt`, 'utf8'));
  });

  it('declares what `npm start` runs', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8'));
    expect(pkg.scripts.start).toContain('filter -f examples/web.nft -r examples/web.pcap');
    expect(pkg.bin.nftwasm).toBe('./bin/nftwasm.js');
  });
});
