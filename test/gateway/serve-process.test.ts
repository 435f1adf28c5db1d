import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestIssuer,
  createTestPdp,
  systemUserIdFor,
  type TestIssuer,
  type TestPdp,
  testEnv,
} from '../../src/testing/index.js';

const RORVANN = '310478717';
const PATH = `/api/innkreving/kravogbetalinger/v1/${RORVANN}/aapnekrav`;

let issuer: TestIssuer;
let pdp: TestPdp;
beforeAll(async () => {
  [issuer, pdp] = await Promise.all([createTestIssuer(), createTestPdp()]);
  pdp.permit(systemUserIdFor(RORVANN), 'ske-krav-og-betalinger', RORVANN);
});
afterAll(() => Promise.all([issuer.close(), pdp.close()]));

/** `portvakt serve` as a deployment runs it: a process configured by environment only. */
async function serve(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    env: { PATH: process.env.PATH, ...testEnv(issuer, pdp), PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    out += chunk;
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 45_000);
    const onData = () => {
      const line = out.split('\n').find((l) => l.includes('portvakt gateway listening'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line).port);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', () => reject(new Error(`serve exited:\n${out}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => out };
}

describe('portvakt serve (as a process)', () => {
  // A process start includes compiling TypeScript and opening PGlite: slow on a busy 2-core machine.
  it('answers 200/401/403/400/503 as documented, never logs the token, and drains in-flight requests on SIGTERM', {
    timeout: 60_000,
  }, async () => {
    const { child, url, output } = await serve();
    try {
      const token = issuer.token();
      const auth = { authorization: `Bearer ${token}` };
      expect((await fetch(`${url}${PATH}`, { headers: auth })).status).toBe(200);
      expect((await fetch(`${url}${PATH}`)).status).toBe(401);
      expect((await fetch(`${url}${PATH.replace(RORVANN, '313367002')}`, { headers: auth })).status).toBe(403);
      expect((await fetch(`${url}${PATH.replace(RORVANN, '313367003')}`, { headers: auth })).status).toBe(400);
      pdp.setMode('error');
      const unavailable = await fetch(`${url}${PATH}`, {
        headers: { authorization: `Bearer ${issuer.token({ org: '313367002' })}` },
      });
      expect(unavailable.status).toBe(503);
      expect(unavailable.headers.get('retry-after')).toBe('5');
      pdp.setMode('normal');

      // A request held up at the PDP is in flight when SIGTERM arrives: it still completes.
      pdp.setMode('slow', { delayMs: 800 });
      const other = issuer.token({ systemUser: systemUserIdFor('999') });
      const inFlight = fetch(`${url}${PATH}`, { headers: { authorization: `Bearer ${other}` } });
      await new Promise((r) => setTimeout(r, 200));
      child.kill('SIGTERM');
      expect((await inFlight).status).toBe(403);
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      expect(output()).not.toContain(token.split('.')[2]);
      // Every request's line is on stdout, the last one's too, though the process exited right after it.
      const logged = output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg: string; res?: { statusCode: number } });
      const requests = logged.filter((line) => line.msg.startsWith('request '));
      expect(requests.map((line) => line.res?.statusCode)).toEqual([200, 401, 403, 400, 503, 403]);
      // One progress line per start-up stage on stderr, beside the JSON log on stdout.
      for (const line of ['opening the embedded claims database', 'claims database ready', 'signing keys loaded']) {
        expect(output()).toContain(`portvakt serve: ${line}`);
      }
      expect(output()).toContain(`portvakt serve: listening on ${url}`);
    } finally {
      pdp.setMode('normal');
      child.kill('SIGKILL');
    }
  });
});
