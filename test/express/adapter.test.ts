import express from 'express';
import { expressjwt } from 'express-jwt';
import { decodeJwt } from 'jose';
import jwksRsa from 'jwks-rsa';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPortvakt, partyInvalid } from '../../src/index.js';
import { testConfig } from '../../src/testing/index.js';
import { KRAV, type LibraryWorld, RORVANN, RORVANN_USER, startLibraryWorld } from '../helpers/library-world.js';

let world: LibraryWorld;
beforeAll(async () => {
  world = await startLibraryWorld();
});
afterAll(() => world.close());

describe('createPortvakt', () => {
  it.each([
    [{ pdpUrl: 'http://127.0.0.1/' }, 'issuer'],
    [{ issuer: 'not a url', pdpUrl: 'http://127.0.0.1/' }, 'issuer'],
    [{ issuer: 'https://test.maskinporten.no/' }, 'pdpUrl'],
    [{ issuer: 'https://test.maskinporten.no/', pdpUrl: 'http://x/', pdpTimeoutMs: 0 }, 'pdpTimeoutMs'],
    [
      { issuer: 'https://test.maskinporten.no/', pdpUrl: 'http://x/', decisionCache: { ttlSeconds: -1 } },
      'decisionCache.ttlSeconds',
    ],
    [{ issuer: 'https://test.maskinporten.no/', pdpUrl: 'http://x/', unknownOption: true }, 'options'],
  ])('refuses bad options at construction, naming the option (%j)', (options, name) => {
    expect(() => createPortvakt(options as never)).toThrow(new RegExp(`"${name.replace('.', '\\.')}"`));
  });
});

describe('the Express adapter', () => {
  it.each([
    [{ resource: 'r', action: 'read' }, 'scope'],
    [{ scope: '', resource: 'r', action: 'read' }, 'scope'],
    [{ scope: 'a b', resource: 'r', action: 'read' }, 'scope'],
    [{ scope: 's', action: 'read' }, 'resource'],
    [{ scope: 's', resource: 'r', action: 'read', party: 'partIdentifikator' }, 'party'],
    [{ scope: 's', resource: 'r', action: 'read', other: 1 }, 'options'],
  ])('refuses bad authorize() options when the middleware is made (%j)', (options, name) => {
    const portvakt = createPortvakt(testConfig(world.issuer, world.pdp));
    expect(() => portvakt.authorize(options as never)).toThrow(new RegExp(`"${name}"`));
  });

  it('reads an empty subscription key as none', () => {
    expect(() => createPortvakt({ ...testConfig(world.issuer, world.pdp), subscriptionKey: '' })).not.toThrow();
  });

  it('puts the typed context on req.portvakt', async () => {
    const res = await world.get(RORVANN, world.issuer.token());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      party: RORVANN,
      systemUser: { id: RORVANN_USER, orgNo: RORVANN },
      systemId: '314330897_smartregnskap',
      consumerOrgNo: '314330897',
      clientId: expect.any(String),
      scopes: ['skatteetaten:kravogbetalinger'],
      decision: { cached: expect.any(Boolean) },
    });
  });

  it("gives every request its own context: a handler that changes one cannot change the next one's", async () => {
    const portvakt = createPortvakt(testConfig(world.issuer, world.pdp));
    const app = express();
    app.get('/v1/:party/things', portvakt.authorize(KRAV), (req, res) => {
      const context = req.portvakt!;
      const seen = { id: context.systemUser.id, scopes: [...context.scopes] };
      context.scopes.push('skatteetaten:kravogbetalinger.admin');
      let changed = true;
      try {
        context.systemUser.id = 'someone else';
      } catch {
        changed = false; // frozen: shared by every request with this token
      }
      res.json({ seen, changed });
    });
    const token = world.issuer.token();
    const first = await request(app).get(`/v1/${RORVANN}/things`).set('Authorization', `Bearer ${token}`);
    const second = await request(app).get(`/v1/${RORVANN}/things`).set('Authorization', `Bearer ${token}`);
    expect(first.body.changed).toBe(false);
    expect(second.body.seen).toEqual({ id: RORVANN_USER, scopes: ['skatteetaten:kravogbetalinger'] });
  });

  it("lets Express's default error handler answer with the right status and challenge", async () => {
    const portvakt = createPortvakt(testConfig(world.issuer, world.pdp));
    const app = express();
    app.get('/v1/:party/things', portvakt.authorize(KRAV), (_req, res) => {
      res.send('ok');
    });
    const missing = await request(app).get(`/v1/${RORVANN}/things`);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    const scope = await request(app)
      .get(`/v1/${RORVANN}/things`)
      .set('Authorization', `Bearer ${world.issuer.token({ scope: 'other' })}`);
    expect(scope.status).toBe(403);
    expect(scope.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="skatteetaten:kravogbetalinger"',
    );
  });

  it('takes the party from a function and runs validate before the PDP', async () => {
    const portvakt = createPortvakt(testConfig(world.issuer, world.pdp));
    const app = express();
    app.get(
      '/things',
      portvakt.authorize({
        ...KRAV,
        party: (req) => req.header('x-party'),
        validate: (req) => {
          if (req.query.bad !== undefined) throw partyInvalid('bad on purpose');
        },
      }),
      (req, res) => {
        res.json({ party: req.portvakt?.party });
      },
    );
    app.use(portvakt.errorHandler());
    const token = world.issuer.token();
    const ok = await request(app).get('/things').set('x-party', RORVANN).set('Authorization', `Bearer ${token}`);
    expect(ok.body).toEqual({ party: RORVANN });
    const calls = world.pdp.calls.length;
    const bad = await request(app).get('/things?bad').set('x-party', RORVANN).set('Authorization', `Bearer ${token}`);
    expect(bad.status).toBe(400);
    expect(world.pdp.calls.length).toBe(calls);
  });
});

describe('after express-jwt', () => {
  function appWithExpressJwt(issuer = world.issuer.issuer) {
    const portvakt = createPortvakt(testConfig(world.issuer, world.pdp));
    const app = express();
    app.use(
      expressjwt({
        secret: jwksRsa.expressJwtSecret({ jwksUri: world.issuer.jwksUri }) as never,
        algorithms: ['RS256'],
        issuer,
      }),
    );
    app.get('/v1/:party/things', portvakt.authorize(KRAV), (req, res) => {
      res.json(req.portvakt);
    });
    app.use(portvakt.errorHandler());
    return { app, portvakt };
  }

  it('authorizes on the already-verified req.auth without verifying the token again', async () => {
    const { app, portvakt } = appWithExpressJwt();
    const res = await request(app).get(`/v1/${RORVANN}/things`).set('Authorization', `Bearer ${world.issuer.token()}`);
    expect(res.status).toBe(200);
    expect(res.body.systemUser.id).toBe(RORVANN_USER);
    // Portvakt never needed its own key set.
    expect(portvakt.keysLoaded).toBe(false);
  });

  it('ignores claims that a request only inherits (express-jwt sets its own property on each request)', async () => {
    const portvakt = createPortvakt(testConfig(world.issuer, world.pdp));
    const app = express();
    // Claims no middleware verified for this request, inherited from the app's request prototype.
    const claims = decodeJwt(world.issuer.token());
    Object.defineProperty(app.request, 'auth', { value: claims });
    app.get('/v1/:party/things', portvakt.authorize(KRAV), (req, res) => res.json(req.portvakt));
    app.use(portvakt.errorHandler());
    const res = await request(app).get(`/v1/${RORVANN}/things`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_missing');
  });

  it('still refuses claims from another issuer that express-jwt was configured to accept', async () => {
    const { app } = appWithExpressJwt('https://evil.example/');
    const token = world.issuer.token({ issuer: 'https://evil.example/' });
    const res = await request(app).get(`/v1/${RORVANN}/things`).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_invalid');
  });
});
