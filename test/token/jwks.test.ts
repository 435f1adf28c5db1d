import { afterEach, describe, expect, it } from 'vitest';
import { expectProblem, type LibraryWorld, RORVANN, startLibraryWorld } from '../helpers/library-world.js';

let world: LibraryWorld;
afterEach(() => world?.close());

/** Polls until the request answers `status`, up to `withinMs`; returns how many tries it took. */
async function eventually(send: () => PromiseLike<{ status: number }>, status: number, withinMs: number) {
  const until = Date.now() + withinMs;
  for (let tries = 1; ; tries++) {
    const res = await send();
    if (res.status === status) return tries;
    if (Date.now() > until) throw new Error(`still ${res.status} after ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('signing keys', () => {
  it('are discovered from the issuer metadata and loaded once for many requests', async () => {
    world = await startLibraryWorld();
    for (let i = 0; i < 5; i++) expect((await world.get(RORVANN, world.issuer.token())).status).toBe(200);
    expect(world.issuer.metadataRequests).toBe(1);
    expect(world.issuer.jwksRequests).toBe(1);
  });

  it('answer 503 jwks_unavailable with Retry-After while the JWKS cannot be fetched and the kid is unknown', async () => {
    world = await startLibraryWorld();
    world.issuer.setJwksMode('down');
    const res = await world.get(RORVANN, world.issuer.token());
    expectProblem(res, 503, 'jwks_unavailable');
    expect(res.headers['retry-after']).toBe('5');
    world.issuer.setJwksMode('ok');
    await eventually(() => world.get(RORVANN, world.issuer.token()), 200, 8000);
  });

  it.each(['reset', 'garbage'] as const)(
    'treat a JWKS endpoint in mode %s as unavailable, not as a bad token',
    async (mode) => {
      world = await startLibraryWorld();
      world.issuer.setJwksMode(mode);
      expectProblem(await world.get(RORVANN, world.issuer.token()), 503, 'jwks_unavailable');
    },
  );

  it('refuse metadata that names another issuer (RFC 8414 §3.3)', async () => {
    world = await startLibraryWorld();
    world.issuer.setMetadata({ issuer: 'https://evil.example/' });
    expectProblem(await world.get(RORVANN, world.issuer.token()), 503, 'jwks_unavailable');
    expect(world.issuer.jwksRequests).toBe(0);
  });

  it('keep known keys working while the JWKS endpoint is down', async () => {
    world = await startLibraryWorld();
    expect((await world.get(RORVANN, world.issuer.token())).status).toBe(200);
    world.issuer.setJwksMode('down');
    expect((await world.get(RORVANN, world.issuer.token())).status).toBe(200);
  });

  it('are refetched at most once per cooldown for a flood of unknown kids', async () => {
    world = await startLibraryWorld();
    expect((await world.get(RORVANN, world.issuer.token())).status).toBe(200);
    const flood = await Promise.all(
      Array.from({ length: 100 }, () => world.get(RORVANN, world.issuer.forge.unknownKid())),
    );
    for (const res of flood) expectProblem(res, 401, 'token_invalid');
    expect(world.issuer.jwksRequests).toBeLessThanOrEqual(2);
  });

  it('do not flood a failing JWKS endpoint either (failed fetches count for the cooldown)', async () => {
    world = await startLibraryWorld();
    world.issuer.setJwksMode('down');
    const flood = await Promise.all(Array.from({ length: 50 }, () => world.get(RORVANN, world.issuer.token())));
    for (const res of flood) expectProblem(res, 503, 'jwks_unavailable');
    expect(world.issuer.jwksRequests).toBeLessThanOrEqual(2);
  });

  it('pick up a newly rotated key within 15 s', async () => {
    world = await startLibraryWorld();
    expect((await world.get(RORVANN, world.issuer.token())).status).toBe(200);
    world.issuer.rotateKeys();
    const started = Date.now();
    await eventually(() => world.get(RORVANN, world.issuer.token()), 200, 15_000);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(world.issuer.jwksRequests).toBeLessThanOrEqual(3);
  });
});
