// Builds dist/browser/: nftwasm.js, the library as one ES module with no
// Node built-ins, nftwasm.wasm beside it (the module fetches it from there),
// and playground/, the page, whose script imports the library from
// ../nftwasm.js instead of carrying a second copy of it.
import { build } from 'esbuild';
import { copyFile, mkdir, rm, access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/browser/`;
const wasm = `${root}build/nftwasm.wasm`;

// esbuild would only say it cannot resolve the module; this names the rule.
const refuseNodeBuiltins = {
  name: 'refuse-node-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({
      errors: [{ text: `${args.path} imported by ${args.importer}: the shared core runs in browsers, workers and edge runtimes, which have no Node built-ins` }],
    }));
  },
};

const libraryFromPlayground = {
  name: 'library-beside-playground',
  setup(b) {
    b.onResolve({ filter: /\/src\/browser\.js$/ }, () => ({ path: '../nftwasm.js', external: true }));
  },
};

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [refuseNodeBuiltins],
};

try {
  await access(wasm);
} catch {
  console.error(`${wasm} is missing: run \`npm run build:wasm\` first`);
  process.exit(1);
}

await rm(out, { recursive: true, force: true });
await mkdir(`${out}playground/examples`, { recursive: true });

await build({ ...common, entryPoints: [`${root}src/browser.ts`], outfile: `${out}nftwasm.js` });
await build({
  ...common,
  entryPoints: [`${root}playground/main.ts`],
  outfile: `${out}playground/playground.js`,
  plugins: [libraryFromPlayground, refuseNodeBuiltins],
});

await Promise.all([
  copyFile(wasm, `${out}nftwasm.wasm`),
  copyFile(`${root}playground/index.html`, `${out}playground/index.html`),
  copyFile(`${root}playground/playground.css`, `${out}playground/playground.css`),
  copyFile(`${root}examples/web.nft`, `${out}playground/examples/web.nft`),
  copyFile(`${root}examples/web.pcap`, `${out}playground/examples/web.pcap`),
]);
