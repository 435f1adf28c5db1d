import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCallers } from '../../src/caller/callers.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing/index.js';
import { createJsonFetcher } from '../../src/token/discovery.js';
import { createRemoteKeySet } from '../../src/token/jwks.js';
import { createTokenVerifier, type TokenVerifier } from '../../src/token/verify.js';
import { expectProblem, type LibraryWorld, RORVANN, startLibraryWorld } from '../helpers/library-world.js';

let world: LibraryWorld | undefined;
let issuer: TestIssuer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await world?.close();
  await issuer?.close();
  world = undefined;
  issuer = undefined;
});

/** Only the wall clock is faked (before the app is made, so its clocks are the fake): loopback HTTP keeps real timers. */
const fakeWallClock = () => vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });

describe('remembered tokens, through the library app', () => {
  it('are refused once expired, exactly when a fresh verification refuses them', async () => {
    fakeWallClock();
    world = await startLibraryWorld();
    const token = world.issuer.token({ expiresInSeconds: 60 });
    const exp = Math.floor(Date.now() / 1000) + 60;
    expect((await world.get(RORVANN, token)).status).toBe(200);
    expect((await world.get(RORVANN, token)).status).toBe(200);

    // The verifier accepts until exp + 30 s; the cached entry must not outlive that by a second.
    vi.setSystemTime((exp + 29) * 1000);
    expect((await world.get(RORVANN, token)).status).toBe(200);
    vi.setSystemTime((exp + 30) * 1000);
    const res = await world.get(RORVANN, token);
    expectProblem(res, 401, 'token_invalid');
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('are refused when not yet valid for the current clock, even after being accepted', async () => {
    fakeWallClock();
    world = await startLibraryWorld();
    const token = world.issuer.token();
    expect((await world.get(RORVANN, token)).status).toBe(200);
    // A clock set back (e.g. NTP step) makes `iat` lie in the future beyond the tolerance.
    vi.setSystemTime(Date.now() - 60_000);
    expectProblem(await world.get(RORVANN, token), 401, 'token_invalid');
  });

  it('never let a forged token through, however often the genuine one was accepted', async () => {
    world = await startLibraryWorld();
    const genuine = world.issuer.token();
    for (let i = 0; i < 3; i++) expect((await world.get(RORVANN, genuine)).status).toBe(200);
    const [header, payload] = genuine.split('.');
    const forgeries = [
      world.issuer.forge.tamperedSignature(),
      world.issuer.forge.tamperedPayload(),
      `${header}.${payload}.`,
      `${header}.${payload}.${'A'.repeat(342)}`,
      world.issuer.forge.algNone(),
    ];
    for (const forged of forgeries) {
      for (let i = 0; i < 2; i++) expectProblem(await world.get(RORVANN, forged), 401, 'token_invalid');
    }
    expect((await world.get(RORVANN, genuine)).status).toBe(200);
  });

  it('stop working once the issuer withdraws their key', async () => {
    fakeWallClock();
    world = await startLibraryWorld();
    const old = world.issuer.token();
    expect((await world.get(RORVANN, old)).status).toBe(200);
    world.issuer.rotateKeys({ keepOld: false });
    vi.setSystemTime(Date.now() + 6_000); // past the refetch cooldown
    // A token with the new kid makes the key set reload; the old key is gone from it.
    expect((await world.get(RORVANN, world.issuer.token())).status).toBe(200);
    expectProblem(await world.get(RORVANN, old), 401, 'token_invalid');
  });
});

describe('createCallers', () => {
  async function setup(max: number) {
    issuer = await createTestIssuer();
    const keys = createRemoteKeySet({
      jwksUri: async () => issuer!.jwksUri,
      fetchJson: createJsonFetcher({ timeoutMs: 2000 }),
    });
    const rules = { issuer: issuer.issuer };
    const real = createTokenVerifier({ ...rules, keys });
    const verified: string[] = [];
    const counting: TokenVerifier = async (token) => {
      verified.push(token);
      return real(token);
    };
    const refusals: string[] = [];
    const callers = createCallers({
      verify: counting,
      rules,
      keys,
      max,
      refused: (err) => {
        refusals.push(err.code);
        return err;
      },
    });
    // Async, so a refusal thrown at once (a remembered token gone stale, no token) reads as a rejection too.
    const callerOf = async (token: string) => callers({ authorization: `Bearer ${token}` });
    return { callers, callerOf, verified, keys, refusals };
  }

  it('remembers a token at its second use and answers later uses from memory, as one frozen caller', async () => {
    const { callers, callerOf, verified } = await setup(10);
    const token = issuer!.token();
    await callerOf(token);
    expect(callers.size).toBe(0); // a token used once is not kept
    const first = await callerOf(token);
    expect(await callerOf(token)).toBe(first);
    expect(await callerOf(token)).toBe(first);
    expect(verified).toHaveLength(2);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.scopes)).toBe(true);
    expect(first.systemUser && Object.isFrozen(first.systemUser)).toBe(true);
  });

  it('keeps what it remembers across key set reloads that withdraw nothing, and forgets it when one does', async () => {
    const { callerOf, verified, keys } = await setup(10);
    const token = issuer!.token();
    await callerOf(token);
    await callerOf(token);
    await keys.refresh(); // the same keys (the periodic refresh)
    issuer!.rotateKeys({ keepOld: true }); // the next key announced ahead of use
    await keys.refresh();
    await callerOf(token);
    expect(verified).toHaveLength(2);

    issuer!.rotateKeys({ keepOld: false });
    await keys.refresh();
    await expect(callerOf(token)).rejects.toMatchObject({ code: 'token_invalid' });
    expect(verified).toHaveLength(3);
  });

  it('never answers a token with the caller of another that ends alike', async () => {
    const { callerOf, verified } = await setup(10);
    const token = issuer!.token();
    await callerOf(token);
    await callerOf(token);
    // Same signature, so the same last characters; another payload, so another token.
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const altered = Buffer.from(JSON.stringify({ ...claims, scope: 'skatteetaten:kravogbetalinger.admin' }));
    const lookalike = `${header}.${altered.toString('base64url')}.${signature}`;
    await expect(callerOf(lookalike)).rejects.toMatchObject({ code: 'token_invalid' });
    expect(verified).toEqual([token, token, lookalike]);
    expect((await callerOf(token)).scopes).toEqual(claims.scope.split(' '));
  });

  it('does not remember failures, and reports each refusal once', async () => {
    const { callers, callerOf, verified, refusals } = await setup(10);
    const forged = issuer!.forge.tamperedSignature();
    for (let i = 0; i < 3; i++) await expect(callerOf(forged)).rejects.toMatchObject({ code: 'token_invalid' });
    expect(() => callers({ authorization: undefined })).toThrow(expect.objectContaining({ code: 'token_missing' }));
    expect(verified).toHaveLength(3);
    expect(callers.size).toBe(0);
    expect(refusals).toEqual(['token_invalid', 'token_invalid', 'token_invalid', 'token_missing']);
  });

  it('remembers the tokens of many clients alike: none is verified a third time', async () => {
    const { callerOf, verified } = await setup(1000);
    const tokens = Array.from({ length: 1000 }, () => issuer!.token());
    for (let pass = 0; pass < 3; pass++) {
      for (const token of tokens) await callerOf(token);
    }
    expect(verified).toHaveLength(2 * tokens.length);
  });

  it('stays within its bound', async () => {
    const { callers, callerOf } = await setup(3);
    for (let i = 0; i < 10; i++) {
      const token = issuer!.token();
      await callerOf(token);
      await callerOf(token);
    }
    expect(callers.size).toBe(3);
  });
});
