// Builds dist/src/cli.bundle.cjs, the command line (dist/src/cli.js and all
// it imports, commander included) as one script, and cli.bundle.cache, V8's
// code cache for it; bin/nftwasm.js runs the one with the other. Node 20
// loads ES modules one at a time, which cost a run about as much as Node's
// own start-up, and has no code cache for them. The shard worker's script
// (--workers) is bundled the same way, each thread loading it anew.
//
// The script is a function, (module, require, importMetaUrl) => void, that
// fills module.exports as a CommonJS module does, for vm.Script to compile
// with the cache. It sits beside the modules it is made from, so that paths
// they resolve against import.meta.url (the data plane, the worker script,
// `cap`) resolve alike.
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = `${root}dist/src/cli.bundle.cjs`;
const cache = `${root}dist/src/cli.bundle.cache`;

// commander loads child_process at start for subcommands that are separate
// executables, which nftwasm has none of; with it come the net and dgram
// modules. Here it is loaded on first use instead.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, name) => require('node:child_process')[name] });",
      loader: 'js',
    }));
  },
};

// A cache left from an earlier bundle could pass for this one's: V8 checks
// only the length of the source.
rmSync(cache, { force: true });
await build({
  entryPoints: [`${root}dist/src/cli.js`],
  outfile: bundle,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: '(function (module, require, importMetaUrl) {' },
  footer: { js: '})' },
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [lazyChildProcess],
});
await build({
  entryPoints: [`${root}dist/src/shard-worker.js`],
  outfile: `${root}dist/src/shard-worker.bundle.cjs`,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});

// bin/nftwasm.js reads the bundle as latin1, the same text only when it is
// ASCII: esbuild escapes what is not, by default.
if (/[^\x00-\x7f]/.test(readFileSync(bundle, 'latin1'))) throw new Error(`${bundle} is not ASCII`);

// The cache is taken after a run of the README's example, so that it holds
// the functions a run compiles on the way, not only the script's top level.
const script = new Script(readFileSync(bundle, 'utf8'), { filename: bundle });
const cli = { exports: {} };
script.runInThisContext()(cli, createRequire(bundle), pathToFileURL(bundle).href);
let errors = '';
const code = await cli.exports.main(
  ['filter', '-f', `${root}examples/web.nft`, '-r', `${root}examples/web.pcap`, '--local', '10.99.0.2', '--list', '--conntrack'],
  { out: () => {}, err: (s) => (errors += s) },
);
if (code !== 0) throw new Error(`the example run for the code cache failed (exit code ${code}):\n${errors}`);
writeFileSync(cache, script.createCachedData());
