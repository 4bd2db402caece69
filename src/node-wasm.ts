// Finds the data plane module built by `npm run build:wasm`, from the
// sources (src/) and from the compiled package (dist/src/) alike.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
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

export function loadWasmModule(): Promise<WebAssembly.Module> {
  cached ??= readFile(wasmPath()).then((bytes) => WebAssembly.compile(bytes));
  return cached;
}
