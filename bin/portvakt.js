#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm ci` (the `prepare` script); say so plainly if it is missing.
import { existsSync, readFileSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('portvakt: dist/ is missing — run `npm run build` (npm ci does this via `prepare`).');
  process.exit(1);
}
try {
  await import(cli.href);
} catch (err) {
  // The gateway's and the sandbox's packages are optional peers: `npm install portvakt` alone does not bring them.
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  const { peerDependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  console.error(`portvakt: ${err.message.split('\n')[0]}
The gateway and the sandbox need packages the library does not install. Install them next to portvakt:
  npm install ${Object.keys(peerDependencies).join(' ')}`);
  process.exit(1);
}
