import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadDocumentFile, SpecReadError } from '../../src/contract/document.js';
import { discoverOperations, requestPath } from '../../src/contract/operations.js';
import { DEFAULT_SPEC } from '../../src/gateway/server.js';
import { contractTest, createTestIssuer, createTestPdp } from '../../src/testing/index.js';

const secured = (operation: Record<string, unknown>, path = '/v1/{org}/x') => ({
  openapi: '3.1.0',
  paths: {
    [path]: {
      get: {
        operationId: 'op',
        'x-altinn-resource': 'r',
        'x-altinn-action': 'read',
        security: [{ maskinporten: ['s:scope'] }],
        responses: { '200': { description: 'ok' } },
        ...operation,
      },
    },
  },
});

describe('operation discovery', () => {
  it("finds openapi.yaml's three secured operations with scope, resource, action and example parameters", () => {
    const operations = discoverOperations(loadDocumentFile(DEFAULT_SPEC));
    expect(operations.map((op) => op.operationId)).toEqual(['hentAapneKrav', 'hentKrav', 'hentInnbetalinger']);
    const krav = operations[1]!;
    expect(krav).toMatchObject({
      method: 'GET',
      scope: 'skatteetaten:kravogbetalinger',
      resource: 'ske-krav-og-betalinger',
      action: 'read',
      partyParameter: 'partIdentifikator',
      query: { fraOgMed: '2026-01-01', tilOgMed: '2026-12-31' },
      successStatuses: ['200'],
    });
    expect(requestPath(krav, '310478717')).toBe(
      '/api/innkreving/kravogbetalinger/v1/310478717/krav?fraOgMed=2026-01-01&tilOgMed=2026-12-31',
    );
  });

  it('takes values from the data file over the examples, per operation over global', () => {
    const [krav] = discoverOperations(loadDocumentFile(DEFAULT_SPEC), {
      parameters: { fraOgMed: '2026-02-01', tilOgMed: '2026-03-01' },
      operations: { hentKrav: { parameters: { tilOgMed: '2026-04-01' } } },
    }).filter((op) => op.operationId === 'hentKrav');
    expect(krav!.query).toEqual({ fraOgMed: '2026-02-01', tilOgMed: '2026-04-01' });
  });

  it('the only path parameter is the party, unless x-portvakt-party says otherwise', () => {
    expect(discoverOperations(secured({}))[0]!.partyParameter).toBe('org');
    const two = secured({ 'x-portvakt-party': 'b', parameters: [{ name: 'a', in: 'path', example: 'x' }] }, '/{a}/{b}');
    expect(discoverOperations(two)[0]).toMatchObject({ partyParameter: 'b', pathValues: { a: 'x' } });
  });

  it('skips unsecured operations and names the operation that cannot be tested', () => {
    expect(discoverOperations(secured({ security: [] }))).toEqual([]);
    expect(() => discoverOperations(secured({ 'x-altinn-action': undefined }))).toThrow(
      new SpecReadError('op (GET /v1/{org}/x): a secured operation needs x-altinn-resource and x-altinn-action'),
    );
    const required = secured({ parameters: [{ name: 'q', in: 'query', required: true, schema: { type: 'string' } }] });
    expect(() => discoverOperations(required)).toThrow(/op: no value for query parameter q/);
  });
});

describe('a target that does not answer', () => {
  it('fails every case with the reason, instead of throwing', async () => {
    const [issuer, pdp] = await Promise.all([createTestIssuer(), createTestPdp()]);
    try {
      const closed = createServer().listen(0, '127.0.0.1');
      await once(closed, 'listening');
      const { port } = closed.address() as AddressInfo;
      closed.close();
      const report = await contractTest({ spec: secured({}), baseUrl: `http://127.0.0.1:${port}`, issuer, pdp });
      expect(report.ok).toBe(false);
      expect(report.failed).toBe(10);
      expect(report.results[0]!.message).toMatch(/^op › no-token .*ECONNREFUSED/);
    } finally {
      await Promise.all([issuer.close(), pdp.close()]);
    }
  });
});
