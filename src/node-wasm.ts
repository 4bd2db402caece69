// Finds the data plane module built by `npm run build:wasm`, from the
// sources (src/) and from the compiled package (dist/src/) alike.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CANDIDATES = ['../build/nftwasm.wasm', '../../build/nftwasm.wasm'];

export function wasmPath(): string {
  for (const rel of CANDIDATES) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('build/nftwasm.wasm is missing: run `npm run build` (npm install does it)');
}

let cached: Promise<WebAssembly.Module> | null = null;

// A synchronous read: loading node:fs/promises for this one read would cost
// every run more than the read.
export function loadWasmModule(): Promise<WebAssembly.Module> {
  cached ??= WebAssembly.compile(readFileSync(wasmPath()));
  return cached;
}
