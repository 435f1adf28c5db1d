import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/index.js';
import { MINIMUM_AUTHENTICATION_LEVEL_ORG, minimumAuthenticationLevel } from '../../src/testing/index.js';
import {
  APE,
  expectProblem,
  KRAV,
  type LibraryWorld,
  RORVANN,
  RORVANN_USER,
  startLibraryWorld,
} from '../helpers/library-world.js';

let world: LibraryWorld;
beforeAll(async () => {
  world = await startLibraryWorld({ pdpTimeoutMs: 500, decisionCache: { ttlSeconds: 1, max: 1000 } });
});
afterAll(() => world.close());
beforeEach(() => world.reset());

describe('the PDP request', () => {
  it("is Altinn's XACML JSON request", async () => {
    expect((await world.get(RORVANN, world.issuer.token())).status).toBe(200);
    expect(world.pdp.calls).toHaveLength(1);
    const { body, headers } = world.pdp.calls[0]!;
    expect(headers['content-type']).toMatch(/^application\/json/);
    expect(headers.authorization).toBeUndefined();
    const req = (body as { Request: Record<string, Array<{ Attribute: unknown[] }>> }).Request;
    expect(req.AccessSubject).toEqual([
      { Attribute: [{ AttributeId: 'urn:altinn:systemuser:uuid', Value: RORVANN_USER }] },
    ]);
    expect(req.Action).toEqual([
      {
        Attribute: [
          {
            AttributeId: 'urn:oasis:names:tc:xacml:1.0:action:action-id',
            Value: 'read',
            DataType: 'http://www.w3.org/2001/XMLSchema#string',
          },
        ],
      },
    ]);
    expect(req.Resource).toEqual([
      {
        Attribute: [
          { AttributeId: 'urn:altinn:resource', Value: 'ske-krav-og-betalinger' },
          { AttributeId: 'urn:altinn:organization:identifier-no', Value: RORVANN },
        ],
      },
    ]);
  });
});

describe('decisions', () => {
  it('Deny → 403 access_denied', async () => {
    expectProblem(await world.get(APE, world.issuer.token()), 403, 'access_denied');
  });

  it('NotApplicable → 403 access_denied', async () => {
    world.pdp.setDefault('NotApplicable');
    expectProblem(await world.get(APE, world.issuer.token()), 403, 'access_denied');
  });

  it('a camelCase answer is read like the real PDP sends it', async () => {
    world.pdp.setCasing('camel');
    expect((await world.get(RORVANN, world.issuer.token())).status).toBe(200);
    expectProblem(await world.get(APE, world.issuer.token()), 403, 'access_denied');
  });

  it.each([
    ['level 3', [minimumAuthenticationLevel(3)], 200],
    ['level 2 (org category)', [minimumAuthenticationLevel(2, MINIMUM_AUTHENTICATION_LEVEL_ORG)], 200],
    ['level 4', [minimumAuthenticationLevel(4)], 403],
    [
      'an unknown obligation',
      [{ Id: 'urn:example:obligation', AttributeAssignment: [{ Category: 'urn:x', Value: '1' }] }],
      403,
    ],
  ])('a Permit with obligation %s → %i', async (_name, obligations, status) => {
    world.pdp.permit(RORVANN_USER, KRAV.resource, RORVANN, 'read', { obligations });
    const res = await world.get(RORVANN, world.issuer.token());
    expect(res.status).toBe(status);
    if (status === 403) expect(res.body.code).toBe('access_denied');
  });

  it.each([
    'indeterminate',
    'error',
    'garbage',
    'reset',
    'empty',
    'two-results',
    'odd-decision',
    'slow',
    'hang',
  ] as const)('PDP mode %s → 503 pdp_unavailable with Retry-After, never cached', async (mode) => {
    world.pdp.setMode(mode, { delayMs: 1500 });
    // The client gives up at the deadline + 1 s: a PDP that hangs must not hold it longer.
    const res = await world.get(RORVANN, world.issuer.token()).timeout(500 + 1000);
    expectProblem(res, 503, 'pdp_unavailable');
    expect(res.headers['retry-after']).toBe('5');
    world.pdp.setMode('normal');
    expect((await world.get(RORVANN, world.issuer.token())).status).toBe(200);
  });
});

describe('decision cache', () => {
  it('20 sequential identical requests → 1 PDP call', async () => {
    const token = world.issuer.token();
    const cached: boolean[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await world.get(RORVANN, token);
      expect(res.status).toBe(200);
      cached.push(res.body.decision.cached);
    }
    expect(world.pdp.calls).toHaveLength(1);
    expect(cached[0]).toBe(false);
    expect(cached.slice(1).every(Boolean)).toBe(true);
  });

  it('50 concurrent identical cold requests → 1 PDP call', async () => {
    world.pdp.setMode('slow', { delayMs: 100 });
    const token = world.issuer.token();
    const all = await Promise.all(Array.from({ length: 50 }, () => world.get(RORVANN, token)));
    expect(all.every((r) => r.status === 200)).toBe(true);
    expect(world.pdp.calls).toHaveLength(1);
  });

  it('two parties never share a decision', async () => {
    const token = world.issuer.token();
    expect((await world.get(RORVANN, token)).status).toBe(200);
    expectProblem(await world.get(APE, token), 403, 'access_denied');
    expect(world.pdp.calls).toHaveLength(2);
  });

  it('after revocation the next request past the TTL is 403', async () => {
    const token = world.issuer.token();
    expect((await world.get(RORVANN, token)).status).toBe(200);
    world.pdp.revoke(RORVANN_USER);
    await new Promise((r) => setTimeout(r, 1100));
    expectProblem(await world.get(RORVANN, token), 403, 'access_denied');
  });

  it('never caches an error', async () => {
    world.pdp.setMode('error');
    expectProblem(await world.get(RORVANN, world.issuer.token()), 503, 'pdp_unavailable');
    world.pdp.setMode('normal');
    expect((await world.get(RORVANN, world.issuer.token())).status).toBe(200);
    expect(world.pdp.calls).toHaveLength(2);
  });
});

describe('subscription key', () => {
  it('is sent as Ocp-Apim-Subscription-Key on every PDP call', async () => {
    const keyed = await startLibraryWorld({ subscriptionKey: 'sub-key-123' });
    try {
      expect((await keyed.get(RORVANN, keyed.issuer.token())).status).toBe(200);
      expect(keyed.pdp.calls[0]?.headers['ocp-apim-subscription-key']).toBe('sub-key-123');
    } finally {
      await keyed.close();
    }
  });
});

describe('the audit entry', () => {
  it('goes to the `audit` sink when one is given, once per decision, and not to the logger', async () => {
    const entries: AuditEntry[] = [];
    const lines: unknown[] = [];
    const logger = { info: (o: object) => lines.push(o), warn: () => {}, error: () => {} };
    const own = await startLibraryWorld({ logger, audit: (entry) => entries.push(entry) });
    try {
      const token = own.issuer.token();
      expect((await own.get(RORVANN, token)).status).toBe(200);
      expect((await own.get(RORVANN, token)).status).toBe(200);
      expectProblem(await own.get(APE, token), 403, 'access_denied');
      expect(entries.map((e) => [e.party, e.decision, e.cached])).toEqual([
        [RORVANN, 'Permit', false],
        [RORVANN, 'Permit', true],
        [APE, 'Deny', false],
      ]);
      expect(entries[0]).toMatchObject({ systemUser: RORVANN_USER, resource: KRAV.resource, action: KRAV.action });
      expect(lines).toEqual([]);
    } finally {
      await own.close();
    }
  });

  it('is a line on the logger by default', async () => {
    const lines: { obj: object; msg: string | undefined }[] = [];
    const logger = { info: (obj: object, msg?: string) => lines.push({ obj, msg }), warn: () => {}, error: () => {} };
    const own = await startLibraryWorld({ logger });
    try {
      expect((await own.get(RORVANN, own.issuer.token())).status).toBe(200);
      expect(lines).toEqual([
        {
          obj: { audit: expect.objectContaining({ party: RORVANN, decision: 'Permit' }) },
          msg: 'authorization decision',
        },
      ]);
    } finally {
      await own.close();
    }
  });
});
