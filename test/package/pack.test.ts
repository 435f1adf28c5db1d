/**
 * Portvakt as a new user meets it: `npm pack`, the tarball installed into an empty app that already has
 * Express, then the README's library example and a testing-kit test run from an ESM app, a CommonJS app, and
 * a CommonJS TypeScript app (`module: nodenext`). The gateway's packages are optional peers, so they are not
 * installed here: the library loading at all proves it needs none of them.
 *
 * Needs the npm registry (for Express and @types); skipped with a notice when `PORTVAKT_SKIP_PACK=1`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const skip = process.env.PORTVAKT_SKIP_PACK === '1';
const MB = 1024 * 1024;

let dir: string;
let sizes: { express: number; withPortvakt: number };

async function du(path: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) total += await du(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}

const npm = (args: string[], cwd: string) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd,
    maxBuffer: 16 * MB,
  });

/** The README's code block that follows `marker` (its first fenced block after that line). */
async function readmeBlock(marker: string): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const from = readme.indexOf(marker);
  const block = /```(?:ts|js)\n([\s\S]*?)```/.exec(readme.slice(from));
  if (from < 0 || !block) throw new Error(`README has no code block after "${marker}"`);
  return block[1]!;
}

/**
 * A README example as a program: its imports first, the rest in an async main that points it at the testing
 * kit's issuer and PDP, then one permitted and one anonymous request, printed as JSON.
 */
function program(block: string, kind: 'esm' | 'cjs' | 'ts'): string {
  const lines = block.split('\n');
  const isImport = (line: string) => /^import |^const .* = require\(/.test(line);
  const body = lines
    .filter((line) => !isImport(line))
    .join('\n')
    .replace("'https://test.maskinporten.no/'", 'world.issuer.issuer')
    .replace("'https://platform.tt02.altinn.no/authorization/api/v1/authorize'", 'world.pdp.url');
  const kit =
    kind === 'cjs'
      ? "const { createTestIssuer, createTestPdp, systemUserIdFor } = require('portvakt/testing');"
      : "import { createTestIssuer, createTestPdp, systemUserIdFor } from 'portvakt/testing';";
  return `${lines.filter(isImport).join('\n')}
${kit}
async function main() {
  const world = { issuer: await createTestIssuer(), pdp: await createTestPdp() };
${body}
  world.pdp.permit(systemUserIdFor('310478717'), 'ske-krav-og-betalinger', '310478717');
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = 'http://127.0.0.1:' + Object(server.address()).port + '/v1/310478717/things';
  const permitted = await fetch(url, { headers: { authorization: 'Bearer ' + world.issuer.token() } });
  const anonymous = await fetch(url);
  console.log(JSON.stringify({
    permitted: { status: permitted.status, body: await permitted.json() },
    anonymous: { status: anonymous.status, type: anonymous.headers.get('content-type'), body: await anonymous.json() },
  }));
  server.close();
  await Promise.all([portvakt.close(), world.issuer.close(), world.pdp.close()]);
}
main().catch((err) => { console.error(err); process.exit(1); });
`;
}

/** A node:test file using the testing kit with its teardown, as a service owner's own test would. */
function kitTest(kind: 'esm' | 'cjs'): string {
  const imports =
    kind === 'esm'
      ? `import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { createPortvakt } from 'portvakt';
import { createTestIssuer, createTestPdp, systemUserIdFor, testConfig } from 'portvakt/testing';`
      : `const { after, before, test } = require('node:test');
const assert = require('node:assert/strict');
const express = require('express');
const { createPortvakt } = require('portvakt');
const { createTestIssuer, createTestPdp, systemUserIdFor, testConfig } = require('portvakt/testing');`;
  return `${imports}
let issuer, pdp, portvakt, server, url;
before(async () => {
  issuer = await createTestIssuer();
  pdp = await createTestPdp();
  portvakt = createPortvakt(testConfig(issuer, pdp));
  const app = express();
  app.get('/v1/:party/things', portvakt.authorize({ scope: 'skatteetaten:kravogbetalinger', resource: 'ske-krav-og-betalinger', action: 'read' }),
    (req, res) => res.json({ party: req.portvakt.party }));
  app.use(portvakt.errorHandler());
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = (party) => 'http://127.0.0.1:' + server.address().port + '/v1/' + party + '/things';
});
after(async () => {
  server.close();
  await Promise.all([portvakt.close(), pdp.close(), issuer.close()]);
});
test('lets Rør og Vann in for itself only, and refuses a forged token', async () => {
  pdp.permit(systemUserIdFor('310478717'), 'ske-krav-og-betalinger', '310478717');
  const auth = { authorization: 'Bearer ' + issuer.token() };
  assert.equal((await fetch(url('310478717'), { headers: auth })).status, 200);
  const other = await fetch(url('313367002'), { headers: auth });
  assert.equal(other.status, 403);
  assert.equal((await other.json()).code, 'access_denied');
  const forged = await fetch(url('310478717'), { headers: { authorization: 'Bearer ' + issuer.forge.tamperedSignature() } });
  assert.equal(forged.status, 401);
  assert.equal(forged.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
});
`;
}

describe.skipIf(skip)('the packed package, installed as a user installs it', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portvakt-pack-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: ROOT,
      maxBuffer: 16 * MB,
    });
    const tarball = join(dir, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);
    const app = join(dir, 'app');
    await mkdir(join(app, 'esm'), { recursive: true });
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'an-app', private: true }));
    await writeFile(join(app, 'esm', 'package.json'), JSON.stringify({ type: 'module' }));
    await npm(['install', 'express@5'], app);
    const express = await du(join(app, 'node_modules'));
    await npm(['install', tarball], app);
    sizes = { express, withPortvakt: await du(join(app, 'node_modules')) };
    await npm(['install', '--save-dev', '@types/express@5', '@types/node@20'], app);
  }, 240_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('adds at most 15 MB to an app that already has Express, none of it a gateway or sandbox package', async () => {
    const added = sizes.withPortvakt - sizes.express;
    console.info(`portvakt install: ${(added / MB).toFixed(1)} MB added to an Express app`);
    expect(added).toBeLessThanOrEqual(15 * MB);
    const installed = await readdir(join(dir, 'app', 'node_modules'));
    for (const gatewayOnly of ['pg', 'ioredis', 'prom-client', 'pino', 'swagger-ui-dist', 'yaml', 'ajv']) {
      expect(installed).not.toContain(gatewayOnly);
    }
    expect(await readdir(join(dir, 'app', 'node_modules', '@electric-sql')).catch(() => [])).toEqual([]);
    expect(await readdir(join(dir, 'app', 'node_modules', 'portvakt'))).toContain('LICENSE');
  });

  it('changes no prototype and no process handler when imported and used; the only globals are zod’s', async () => {
    const app = join(dir, 'app', 'esm');
    await writeFile(
      join(app, 'globals.js'),
      `const express = (await import('express')).default;
const targets = { Object: Object.prototype, Array: Array.prototype, Function: Function.prototype,
  String: String.prototype, Promise: Promise.prototype, Error: Error.prototype, Map: Map.prototype,
  request: express.request, globalThis };
const events = ['exit', 'beforeExit', 'uncaughtException', 'unhandledRejection', 'warning', 'SIGINT', 'SIGTERM'];
const snap = () => ({
  ...Object.fromEntries(Object.entries(targets).map(([name, o]) => [name, Reflect.ownKeys(o).map(String)])),
  process: events.map((e) => e + ':' + process.listenerCount(e)),
});
const before = snap();
const { createPortvakt } = await import('portvakt');
const portvakt = createPortvakt({ issuer: 'https://test.maskinporten.no/', pdpUrl: 'https://pdp.example/authorize' });
express().get('/v1/:party/things', portvakt.authorize({ scope: 's:s', resource: 'r', action: 'read' }));
const after = snap();
await portvakt.close();
console.log(JSON.stringify(Object.fromEntries(Object.keys(before).map((k) => [k, after[k].filter((x) => !before[k].includes(x))]))));
`,
    );
    const added = JSON.parse((await run('node', ['globals.js'], { cwd: app })).stdout) as Record<string, string[]>;
    const { globalThis: globals, ...rest } = added;
    for (const [where, names] of Object.entries(rest)) expect(names, where).toEqual([]);
    // zod (v4) keeps its configuration and schema registry on the global object, shared by every copy of zod.
    expect(globals?.every((name) => name.startsWith('__zod_'))).toBe(true);
  });

  const expectExample = (stdout: string) => {
    const out = JSON.parse(stdout);
    expect(out.permitted).toEqual({ status: 200, body: { party: '310478717' } });
    expect(out.anonymous.status).toBe(401);
    expect(out.anonymous.type).toMatch(/^application\/problem\+json/);
    expect(out.anonymous.body.code).toBe('token_missing');
  };

  it.each([
    ['an ESM app', 'esm', '## The library'],
    ['a CommonJS app', 'cjs', 'From CommonJS'],
  ] as const)(
    'runs the README example and a testing-kit test from %s',
    async (_name, kind, readmeMarker) => {
      const app = kind === 'esm' ? join(dir, 'app', 'esm') : join(dir, 'app');
      await writeFile(join(app, 'example.js'), program(await readmeBlock(readmeMarker), kind));
      expectExample((await run('node', ['example.js'], { cwd: app })).stdout);
      await writeFile(join(app, 'kit.test.js'), kitTest(kind));
      await run('node', ['--test', 'kit.test.js'], { cwd: app });
    },
    60_000,
  );

  it('compiles the README example as CommonJS TypeScript (module: nodenext) and runs it', async () => {
    const app = join(dir, 'app', 'ts');
    await mkdir(app, { recursive: true });
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, outDir: 'out', skipLibCheck: false },
        files: ['example.ts'],
      }),
    );
    await writeFile(join(app, 'example.ts'), program(await readmeBlock('## The library'), 'ts'));
    await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app });
    const emitted = await readFile(join(app, 'out', 'example.js'), 'utf8');
    expect(emitted).toContain('require("portvakt")');
    expectExample((await run('node', [join('out', 'example.js')], { cwd: app })).stdout);
  }, 120_000);

  it('runs `npx portvakt serve` for a gateway user: first naming what to install, then serving', async () => {
    const app = join(dir, 'app');
    const bin = join(app, 'node_modules', '.bin', 'portvakt');
    const { createTestIssuer, createTestPdp, testEnv } = await import('../../src/testing/index.js');
    const [issuer, pdp] = await Promise.all([createTestIssuer(), createTestPdp()]);
    const env = { ...process.env, ...testEnv(issuer, pdp), PORT: '0', LOG_LEVEL: 'info' };
    const missing = await run(bin, ['serve'], { cwd: app, env }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(missing?.code).toBe(1);
    expect(missing?.stderr).toMatch(/npm install .*pino.*prom-client/);

    const { peerDependencies } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')).packages;
    const pinned = Object.keys(peerDependencies).map((name) => `${name}@${lock[`node_modules/${name}`].version}`);
    await npm(['install', '--ignore-scripts', ...pinned], app);

    const { spawn } = await import('node:child_process');
    const gateway = spawn(bin, ['serve'], { cwd: app, env });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        gateway.stdout.on('data', (chunk: Buffer) => {
          out += chunk;
          const listening = /"port":(\d+)[^\n]*gateway listening/.exec(out);
          if (listening) resolve(Number(listening[1]));
        });
        gateway.once('exit', (code) => reject(new Error(`portvakt serve exited ${code}: ${out}`)));
      });
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
      const refused = await fetch(`http://127.0.0.1:${port}/api/innkreving/kravogbetalinger/v1/310478717/aapnekrav`);
      expect(refused.status).toBe(401);
    } finally {
      gateway.kill('SIGTERM');
      await Promise.all([issuer.close(), pdp.close()]);
    }
  }, 180_000);
});
