import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestPdp, minimumAuthenticationLevel, systemUserIdFor, type TestPdp } from '../../src/testing/index.js';

const SU = systemUserIdFor('310478717');
const RESOURCE = 'ske-krav-og-betalinger';
const PARTY = '310478717';

interface Query {
  systemUser?: string;
  resource?: string;
  party?: string;
  action?: string;
}

/** The §5 request body, as Portvakt sends it. */
function requestBody({ systemUser = SU, resource = RESOURCE, party = PARTY, action = 'read' }: Query = {}) {
  return {
    Request: {
      AccessSubject: [{ Attribute: [{ AttributeId: 'urn:altinn:systemuser:uuid', Value: systemUser }] }],
      Action: [
        {
          Attribute: [
            {
              AttributeId: 'urn:oasis:names:tc:xacml:1.0:action:action-id',
              Value: action,
              DataType: 'http://www.w3.org/2001/XMLSchema#string',
            },
          ],
        },
      ],
      Resource: [
        {
          Attribute: [
            { AttributeId: 'urn:altinn:resource', Value: resource },
            { AttributeId: 'urn:altinn:organization:identifier-no', Value: party },
          ],
        },
      ],
    },
  };
}

function post(body: unknown, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}) {
  return fetch(pdp.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

async function decision(query: Query = {}): Promise<string> {
  const res = await post(requestBody(query));
  expect(res.status).toBe(200);
  const json = (await res.json()) as { Response: { Decision: string }[] };
  expect(json.Response).toHaveLength(1);
  return json.Response[0]!.Decision;
}

let pdp: TestPdp;
beforeAll(async () => {
  pdp = await createTestPdp();
});
afterAll(() => pdp.close());
afterEach(() => pdp.reset());

describe('decisions', () => {
  it('serves the authorize path', () => {
    expect(pdp.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/authorization\/api\/v1\/authorize$/);
  });

  it('denies what is not permitted and permits what is', async () => {
    expect(await decision()).toBe('Deny');
    pdp.permit(SU, RESOURCE, PARTY);
    expect(await decision()).toBe('Permit');
    expect(await decision({ action: 'write' })).toBe('Deny');
    expect(await decision({ party: '313367002' })).toBe('Deny');
    expect(await decision({ resource: 'other' })).toBe('Deny');
    expect(await decision({ systemUser: SU.toUpperCase() })).toBe('Permit');
  });

  it('answers the XACML JSON profile shape', async () => {
    pdp.permit(SU, RESOURCE, PARTY);
    const json = await (await post(requestBody())).json();
    expect(json).toEqual({
      Response: [{ Decision: 'Permit', Status: { StatusCode: { Value: 'urn:oasis:names:tc:xacml:1.0:status:ok' } } }],
    });
  });

  it('revokes one grant or all of a system user', async () => {
    pdp.permit(SU, RESOURCE, PARTY);
    pdp.permit(SU, RESOURCE, PARTY, 'write');
    pdp.permit(SU, RESOURCE, '313367002');
    expect(pdp.revoke(SU, RESOURCE, PARTY, 'write')).toBe(1);
    expect(await decision({ action: 'write' })).toBe('Deny');
    expect(await decision()).toBe('Permit');
    expect(pdp.revoke(SU)).toBe(2);
    expect(await decision()).toBe('Deny');
    expect(await decision({ party: '313367002' })).toBe('Deny');
  });

  it('can default to NotApplicable', async () => {
    pdp.setDefault('NotApplicable');
    expect(await decision()).toBe('NotApplicable');
  });

  it('sends obligations with a Permit', async () => {
    pdp.permit(SU, RESOURCE, PARTY, 'read', { obligations: [minimumAuthenticationLevel(3)] });
    const json = (await (await post(requestBody())).json()) as { Response: { Obligations: unknown }[] };
    expect(json.Response[0]!.Obligations).toEqual([
      {
        Id: 'urn:altinn:obligation:authenticationLevel1',
        AttributeAssignment: [
          {
            AttributeId: 'urn:altinn:obligation1-assignment1',
            Value: '3',
            Category: 'urn:altinn:minimum-authenticationlevel',
            DataType: 'http://www.w3.org/2001/XMLSchema#integer',
            Issuer: null,
          },
        ],
      },
    ]);
  });

  it('builds the -org obligation as Altinn does', () => {
    expect(minimumAuthenticationLevel(4, 'urn:altinn:minimum-authenticationlevel-org')).toMatchObject({
      Id: 'urn:altinn:obligation:authenticationLevel2',
      AttributeAssignment: [{ Value: '4', Category: 'urn:altinn:minimum-authenticationlevel-org' }],
    });
  });

  it('answers camelCase like the real PDP, nulls included', async () => {
    pdp.setCasing('camel');
    pdp.permit(SU, RESOURCE, PARTY, 'read', { obligations: [minimumAuthenticationLevel(2)] });
    const json = await (await post(requestBody())).json();
    expect(json).toEqual({
      response: [
        {
          decision: 'Permit',
          status: {
            statusMessage: null,
            statusDetails: null,
            statusCode: { value: 'urn:oasis:names:tc:xacml:1.0:status:ok', statusCode: null },
          },
          obligations: [
            {
              id: 'urn:altinn:obligation:authenticationLevel1',
              attributeAssignment: [
                {
                  attributeId: 'urn:altinn:obligation1-assignment1',
                  value: '2',
                  category: 'urn:altinn:minimum-authenticationlevel',
                  dataType: 'http://www.w3.org/2001/XMLSchema#integer',
                  issuer: null,
                },
              ],
            },
          ],
          associateAdvice: null,
          category: null,
          policyIdentifierList: null,
        },
      ],
    });
    pdp.revoke(SU);
    const denied = (await (await post(requestBody())).json()) as { response: { obligations: unknown }[] };
    expect(denied.response[0]!.obligations).toBeNull();
  });

  it('reads request property names case-insensitively', async () => {
    pdp.permit(SU, RESOURCE, PARTY);
    const camel = JSON.parse(
      JSON.stringify(requestBody()).replace(/"([A-Z])(\w*)":/g, (_m, a, b) => `"${a.toLowerCase()}${b}":`),
    );
    expect(camel).toHaveProperty('request.accessSubject');
    const json = (await (await post(camel)).json()) as { Response: { Decision: string }[] };
    expect(json.Response[0]!.Decision).toBe('Permit');
  });
});

describe('requests Altinn refuses', () => {
  it('refuses a subject that mixes the system user with other attributes', async () => {
    const body = requestBody();
    body.Request.AccessSubject[0]!.Attribute.push({
      AttributeId: 'urn:altinn:organization:identifier-no',
      Value: '314330897',
    });
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(pdp.calls[0]).toMatchObject({ query: undefined });
    expect(pdp.calls[0]).not.toHaveProperty('decision');
  });

  it('refuses a request without resource, party, action or subject', async () => {
    for (const mutate of [
      (b: ReturnType<typeof requestBody>) => b.Request.Resource[0]!.Attribute.splice(0, 1),
      (b: ReturnType<typeof requestBody>) => b.Request.Resource[0]!.Attribute.splice(1, 1),
      (b: ReturnType<typeof requestBody>) => b.Request.Action[0]!.Attribute.splice(0, 1),
      (b: ReturnType<typeof requestBody>) => b.Request.AccessSubject.splice(0, 1),
    ]) {
      const body = requestBody();
      mutate(body);
      expect((await post(body)).status).toBe(400);
    }
  });

  it('refuses bodies that are not JSON, other media types, methods and paths', async () => {
    expect((await post('{ nope')).status).toBe(400);
    expect((await post(requestBody(), { headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await fetch(pdp.url)).status).toBe(405);
    expect((await fetch(new URL('/elsewhere', pdp.url), { method: 'POST' })).status).toBe(404);
  });
});

describe('call log', () => {
  it('records body, lower-cased headers, the query and the decision', async () => {
    pdp.permit(SU, RESOURCE, PARTY);
    await post(requestBody(), { headers: { 'Ocp-Apim-Subscription-Key': 'k', 'X-Request-Id': 'r1' } });
    expect(pdp.calls).toEqual([
      {
        body: requestBody(),
        headers: expect.objectContaining({ 'ocp-apim-subscription-key': 'k', 'x-request-id': 'r1' }),
        query: { systemUserId: SU, resource: RESOURCE, action: 'read', party: PARTY },
        decision: 'Permit',
      },
    ]);
  });

  it('reset() clears grants, calls and modes', async () => {
    pdp.permit(SU, RESOURCE, PARTY);
    pdp.setMode('error');
    pdp.setCasing('camel');
    await post(requestBody());
    pdp.reset();
    expect(pdp.calls).toHaveLength(0);
    expect(await decision()).toBe('Deny');
  });
});

describe('fault modes', () => {
  it("'error' answers 500", async () => {
    pdp.setMode('error');
    expect((await post(requestBody())).status).toBe(500);
    expect(pdp.calls).toHaveLength(1);
  });

  it("'garbage' answers 200 with a body that is not JSON", async () => {
    pdp.setMode('garbage');
    const res = await post(requestBody());
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
  });

  it.each([
    ['indeterminate', ['Indeterminate']],
    ['empty', []],
    ['two-results', ['Permit', 'Permit']],
    ['odd-decision', ['permit']],
  ] as const)("'%s' answers 200 with decisions %j", async (mode, decisions) => {
    pdp.setMode(mode);
    const json = (await (await post(requestBody())).json()) as { Response: { Decision: string }[] };
    expect(json.Response.map((r) => r.Decision)).toEqual(decisions);
  });

  it("'reset' drops the connection", async () => {
    pdp.setMode('reset');
    await expect(post(requestBody())).rejects.toThrow();
  });

  it("'slow' answers correctly after delayMs", async () => {
    pdp.permit(SU, RESOURCE, PARTY);
    pdp.setMode('slow', { delayMs: 150 });
    const started = Date.now();
    expect(await decision()).toBe('Permit');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("'hang' never answers, and close() ends the wait", async () => {
    pdp.setMode('hang');
    await expect(post(requestBody(), { signal: AbortSignal.timeout(150) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });

    const doomed = await createTestPdp();
    doomed.setMode('hang');
    const pending = fetch(doomed.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await vi.waitFor(() => expect(doomed.calls).toHaveLength(1));
    await doomed.close();
    await expect(pending).rejects.toThrow();
  });
});

describe('gateway credentials', () => {
  it('demands the subscription key and bearer token when configured', async () => {
    const guarded = await createTestPdp({ subscriptionKey: 'sub', bearerToken: 'altinn-token' });
    try {
      const ask = (headers: Record<string, string>) =>
        fetch(guarded.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(requestBody()),
        });
      expect((await ask({})).status).toBe(401);
      expect((await ask({ 'ocp-apim-subscription-key': 'wrong', authorization: 'Bearer altinn-token' })).status).toBe(
        401,
      );
      expect((await ask({ 'ocp-apim-subscription-key': 'sub' })).status).toBe(401);
      expect((await ask({ 'ocp-apim-subscription-key': 'sub', authorization: 'Bearer altinn-token' })).status).toBe(
        200,
      );
      expect(guarded.subscriptionKey).toBe('sub');
    } finally {
      await guarded.close();
    }
  });
});
