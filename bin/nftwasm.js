#!/usr/bin/env node
// Runs the command line as scripts/build-cli.js bundles it, with the V8 code
// cache made there. V8 refuses a cache made by another V8 or under other
// flags and then compiles the script as usual, so a cache from elsewhere is
// harmless.
//
// The bundle is ASCII (scripts/build-cli.js sees to it), which latin1 reads
// as UTF-8 would, in a fraction of the time.
//
// CommonJS (bin/package.json): Node starts a CommonJS entry sooner than an
// ES module one, whose loader brings the promise-based fs and more with it.
'use strict';
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const filename = join(__dirname, '../dist/src/cli.bundle.cjs');
let cachedData;
try {
  cachedData = readFileSync(join(__dirname, '../dist/src/cli.bundle.cache'));
} catch {
  // None: the script is compiled as usual.
}
const cli = { exports: {} };
new Script(readFileSync(filename, 'latin1'), { filename, cachedData }).runInThisContext()(cli, createRequire(filename), pathToFileURL(filename).href);
cli.exports.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
