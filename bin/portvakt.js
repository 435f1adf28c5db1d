#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm ci` (the `prepare` script); say so plainly if it is missing.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('portvakt: dist/ is missing — run `npm run build` (npm ci does this via `prepare`).');
  process.exit(1);
}
await import(cli.href);
