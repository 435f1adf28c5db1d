import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPdpClient, type PdpClientOptions } from '../../src/pdp/client.js';
import { type LocalServer, startLocalServer } from '../../src/testing/http.js';
import { createTestPdp, type TestPdp } from '../../src/testing/pdp.js';
import { minimumAuthenticationLevel } from '../../src/testing/xacml.js';
import { QUERY, rejection, within } from './helpers.js';

/** Deadline for tests of the deadline; others get a generous one, so a loaded machine cannot fail them. */
const TIMEOUT_MS = 300;
const RELAXED_TIMEOUT_MS = 5000;
const SUBSCRIPTION_KEY = 'subscription-key-1';
const PEP_TOKEN = 'pep.altinn.token';

let pdp: TestPdp;
let pdpWithBearer: TestPdp;

beforeAll(async () => {
  pdp = await createTestPdp({ subscriptionKey: SUBSCRIPTION_KEY });
  pdpWithBearer = await createTestPdp({ bearerToken: PEP_TOKEN });
});
afterEach(() => {
  pdp.reset();
  pdpWithBearer.reset();
});
afterAll(async () => {
  await pdp.close();
  await pdpWithBearer.close();
});

const client = (options: Partial<PdpClientOptions> = {}) =>
  createPdpClient({ url: pdp.url, subscriptionKey: SUBSCRIPTION_KEY, timeoutMs: RELAXED_TIMEOUT_MS, ...options });

const permitQuery = () => pdp.permit(QUERY.systemUserId, QUERY.resource, QUERY.party, QUERY.action);

/** A loopback server answering every request with `handle`. */
async function server(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<LocalServer> {
  return startLocalServer(async (req, res) => {
    for await (const _ of req);
    handle(req, res);
  });
}

describe('the request', () => {
  it('is the §5 body, POSTed as JSON with the subscription key and without Authorization', async () => {
    permitQuery();
    await client()(QUERY);
    expect(pdp.calls).toHaveLength(1);
    const [call] = pdp.calls;
    expect(call?.body).toStrictEqual({
      Request: {
        ReturnPolicyIdList: false,
        AccessSubject: [{ Attribute: [{ AttributeId: 'urn:altinn:systemuser:uuid', Value: QUERY.systemUserId }] }],
        Action: [
          {
            Attribute: [
              {
                AttributeId: 'urn:oasis:names:tc:xacml:1.0:action:action-id',
                Value: 'read',
                DataType: 'http://www.w3.org/2001/XMLSchema#string',
              },
            ],
          },
        ],
        Resource: [
          {
            Attribute: [
              { AttributeId: 'urn:altinn:resource', Value: QUERY.resource },
              { AttributeId: 'urn:altinn:organization:identifier-no', Value: QUERY.party },
            ],
          },
        ],
      },
    });
    expect(call?.headers['content-type']).toBe('application/json');
    expect(call?.headers.accept).toBe('application/json');
    expect(call?.headers['ocp-apim-subscription-key']).toBe(SUBSCRIPTION_KEY);
    expect(call?.headers).not.toHaveProperty('authorization');
  });

  it('has no subscription key header when none is configured', async () => {
    const open = await createTestPdp();
    try {
      await createPdpClient({ url: open.url, timeoutMs: RELAXED_TIMEOUT_MS })(QUERY);
      expect(open.calls[0]?.headers).not.toHaveProperty('ocp-apim-subscription-key');
    } finally {
      await open.close();
    }
  });

  it("sends the PEP's own token as a Bearer token when a provider is given", async () => {
    pdpWithBearer.permit(QUERY.systemUserId, QUERY.resource, QUERY.party);
    const decide = createPdpClient({
      url: pdpWithBearer.url,
      timeoutMs: RELAXED_TIMEOUT_MS,
      accessToken: async () => PEP_TOKEN,
    });
    await expect(decide(QUERY)).resolves.toEqual({ permit: true });
    expect(pdpWithBearer.calls[0]?.headers.authorization).toBe(`Bearer ${PEP_TOKEN}`);
  });
});

describe('decisions', () => {
  it('Permit', async () => {
    permitQuery();
    await expect(client()(QUERY)).resolves.toEqual({ permit: true });
  });

  it('Deny', async () => {
    await expect(client()(QUERY)).resolves.toMatchObject({ permit: false, reason: 'Deny' });
  });

  it('NotApplicable', async () => {
    pdp.setDefault('NotApplicable');
    await expect(client()(QUERY)).resolves.toMatchObject({ permit: false, reason: 'NotApplicable' });
  });

  it("Altinn's camelCase answer", async () => {
    pdp.setCasing('camel');
    permitQuery();
    await expect(client()(QUERY)).resolves.toEqual({ permit: true });
    pdp.revoke(QUERY.systemUserId);
    await expect(client()(QUERY)).resolves.toMatchObject({ permit: false, reason: 'Deny' });
  });

  it.each([
    ['pascal', 3, true],
    ['camel', 3, true],
    ['pascal', 4, false],
    ['camel', 4, false],
  ] as const)('a Permit with a %s minimum authentication level %i obligation', async (casing, level, permit) => {
    pdp.setCasing(casing);
    pdp.permit(QUERY.systemUserId, QUERY.resource, QUERY.party, QUERY.action, {
      obligations: [minimumAuthenticationLevel(level)],
    });
    const decision = await client()(QUERY);
    expect(decision.permit).toBe(permit);
    if (!decision.permit) expect(decision.reason).toBe('obligation');
  });

  it('a Permit with an obligation not understood is refused', async () => {
    pdp.permit(QUERY.systemUserId, QUERY.resource, QUERY.party, QUERY.action, {
      obligations: [{ Id: 'urn:altinn:obligation:log', AttributeAssignment: [{ Category: 'urn:x:log', Value: '1' }] }],
    });
    await expect(client()(QUERY)).resolves.toMatchObject({ permit: false, reason: 'obligation' });
  });
});

describe('failures are pdp_unavailable', () => {
  it.each(['indeterminate', 'error', 'garbage', 'empty', 'two-results', 'odd-decision', 'reset'] as const)(
    'mode %s',
    async (mode) => {
      permitQuery();
      pdp.setMode(mode);
      const err = await rejection(client()(QUERY));
      expect(err.code).toBe('pdp_unavailable');
    },
  );

  it('an answer slower than the deadline', async () => {
    permitQuery();
    pdp.setMode('slow', { delayMs: TIMEOUT_MS + 500 });
    const err = await within(TIMEOUT_MS + 1000, rejection(client({ timeoutMs: TIMEOUT_MS })(QUERY)));
    expect(err.code).toBe('pdp_unavailable');
  });

  it('a PDP that never answers, within the deadline', async () => {
    pdp.setMode('hang');
    const err = await within(TIMEOUT_MS + 1000, rejection(client({ timeoutMs: TIMEOUT_MS })(QUERY)));
    expect(err.code).toBe('pdp_unavailable');
  });

  it('a body that stalls after the headers (the deadline covers the body)', async () => {
    const stalling = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"Response":[{"Decision":');
    });
    try {
      const err = await within(
        TIMEOUT_MS + 1000,
        rejection(client({ url: `${stalling.origin}/`, timeoutMs: TIMEOUT_MS })(QUERY)),
      );
      expect(err.code).toBe('pdp_unavailable');
    } finally {
      await stalling.close();
    }
  });

  it('a redirect, which is not followed', async () => {
    permitQuery();
    const redirecting = await server((_req, res) => {
      res.writeHead(307, { location: pdp.url });
      res.end();
    });
    try {
      const err = await rejection(client({ url: `${redirecting.origin}/` })(QUERY));
      expect(err.code).toBe('pdp_unavailable');
      expect(pdp.calls).toHaveLength(0);
    } finally {
      await redirecting.close();
    }
  });

  it('a PDP that cannot be reached', async () => {
    const gone = await server(() => undefined);
    await gone.close();
    const err = await rejection(client({ url: `${gone.origin}/` })(QUERY));
    expect(err.code).toBe('pdp_unavailable');
    expect(err.cause).toBeDefined();
  });

  it("a 401 from Altinn's gateway (wrong subscription key)", async () => {
    permitQuery();
    const err = await rejection(client({ subscriptionKey: 'wrong' })(QUERY));
    expect(err.code).toBe('pdp_unavailable');
    expect(err.detail).not.toContain('wrong');
  });

  it('a failing token provider, without calling the PDP', async () => {
    const err = await rejection(client({ accessToken: () => Promise.reject(new Error('exchange down')) })(QUERY));
    expect(err.code).toBe('pdp_unavailable');
    expect(pdp.calls).toHaveLength(0);
  });

  it('a token provider that never answers, within the deadline', async () => {
    const err = await within(
      TIMEOUT_MS + 1000,
      rejection(client({ timeoutMs: TIMEOUT_MS, accessToken: () => new Promise(() => {}) })(QUERY)),
    );
    expect(err.code).toBe('pdp_unavailable');
  });

  it('the caller giving up', async () => {
    pdp.setMode('hang');
    const caller = new AbortController();
    const pending = rejection(client({ timeoutMs: 10_000 })(QUERY, caller.signal));
    setTimeout(() => caller.abort(), 50);
    const err = await within(2000, pending);
    expect(err.code).toBe('pdp_unavailable');
  });
});

describe('onCall', () => {
  it('reports each outcome once with its duration', async () => {
    const onCall = vi.fn();
    const decide = client({ onCall });
    permitQuery();
    await decide(QUERY);
    await decide({ ...QUERY, party: '313367002' });
    pdp.setMode('error');
    await rejection(decide(QUERY));
    expect(onCall.mock.calls.map(([outcome]) => outcome)).toEqual(['permit', 'deny', 'error']);
    for (const [, ms] of onCall.mock.calls) expect(ms).toBeGreaterThanOrEqual(0);
  });
});
