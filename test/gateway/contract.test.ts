import { describe, expect, it } from 'vitest';
import { DEFAULT_SPEC } from '../../src/gateway/server.js';
import { ContractViolation, createContract } from '../helpers/contract.js';

const contract = createContract(DEFAULT_SPEC);
const API = '/api/innkreving/kravogbetalinger/v1';
const problem = (code: string, status: number) =>
  JSON.stringify({ type: `urn:portvakt:problem:${code}`, title: 'T', status, detail: 'd', code });
const json = { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'r' };
const problemJson = { 'content-type': 'application/problem+json', 'x-request-id': 'r' };

describe('the contract helper', () => {
  it('accepts a documented response', () => {
    const body = JSON.stringify({ partIdentifikator: '310478717', krav: [] });
    expect(() =>
      contract.check('GET', `${API}/310478717/krav?x=1`, { status: 200, headers: json, text: body }),
    ).not.toThrow();
  });

  it('refuses a body that breaks the schema', () => {
    const body = JSON.stringify({ partIdentifikator: '310478717', krav: [{ kravidentifikator: 1 }] });
    expect(() => contract.check('GET', `${API}/310478717/krav`, { status: 200, headers: json, text: body })).toThrow(
      ContractViolation,
    );
  });

  it('refuses an undocumented status, content type, or a missing required header', () => {
    const text = problem('access_denied', 403);
    expect(() => contract.check('GET', '/health/live', { status: 403, headers: problemJson, text })).toThrow(
      /not documented/,
    );
    expect(() =>
      contract.check('GET', '/health/live', {
        status: 200,
        headers: { ...json, 'content-type': 'text/html' },
        text: '',
      }),
    ).toThrow(/Content-Type/);
    const unavailable = problem('pdp_unavailable', 503);
    expect(() =>
      contract.check('GET', `${API}/310478717/aapnekrav`, { status: 503, headers: problemJson, text: unavailable }),
    ).toThrow(/Retry-After is required/);
    const tokenMissing = problem('token_missing', 401);
    expect(() =>
      contract.check('GET', `${API}/310478717/aapnekrav`, { status: 401, headers: problemJson, text: tokenMissing }),
    ).toThrow(/WWW-Authenticate is required/);
  });

  it('knows the global answers: 404 off the map, 405 with Allow, 413 anywhere', () => {
    const notFound = { status: 404, headers: problemJson, text: problem('not_found', 404) };
    expect(() => contract.check('GET', '/nothing', notFound)).not.toThrow();
    expect(() => contract.check('GET', '/nothing', { ...notFound, status: 200 })).toThrow(/only 404/);
    const notAllowed = { status: 405, headers: problemJson, text: problem('method_not_allowed', 405) };
    expect(() => contract.check('POST', '/health/live', notAllowed)).toThrow(/Allow is required/);
    const allowed = { ...notAllowed, headers: { ...problemJson, allow: 'GET, HEAD' } };
    expect(() => contract.check('POST', '/health/live', allowed)).not.toThrow();
    const tooLarge = { status: 413, headers: problemJson, text: problem('payload_too_large', 413) };
    expect(() => contract.check('POST', `${API}/310478717/krav`, tooLarge)).not.toThrow();
  });
});
