// `npm run playground [-- --port N] [-- --host ADDR]`: serves dist/browser/
// and prints the playground's address. PORT in the environment also sets
// the port; 0 picks a free one.
import { parseArgs } from 'node:util';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { serveDirectory } from './static-server.js';

const dir = fileURLToPath(new URL('../dist/browser/', import.meta.url));

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      port: { type: 'string', short: 'p', default: process.env.PORT ?? '8080' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  }));
} catch (e) {
  console.error(`${e.message}\nusage: npm run playground -- [--port N] [--host ADDR]`);
  process.exit(2);
}

const port = Number(options.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port expects a number from 0 to 65535, got "${options.port}"`);
  process.exit(2);
}

try {
  await access(`${dir}playground/index.html`);
} catch {
  console.error('dist/browser/ is missing: run `npm run build` first');
  process.exit(1);
}

try {
  const { url } = await serveDirectory(dir, { port, host: options.host, redirects: { '/': '/playground/' } });
  console.log(`nftwasm playground: ${url}/playground/`);
} catch (e) {
  console.error(`cannot listen on ${options.host}:${port}: ${e.code ?? e.message}`);
  process.exit(1);
}
