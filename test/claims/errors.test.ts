import { describe, expect, it } from 'vitest';
import { claimsUnavailable, isClaimsOutage } from '../../src/claims/errors.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isClaimsOutage', () => {
  it('counts connection failures and server capacity or shutdown as outages', () => {
    expect(isClaimsOutage(withCode('ECONNREFUSED'))).toBe(true);
    expect(isClaimsOutage(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isClaimsOutage(withCode('08006'))).toBe(true);
    expect(isClaimsOutage(withCode('53300'))).toBe(true);
    expect(isClaimsOutage(withCode('57P01'))).toBe(true);
    expect(isClaimsOutage(withCode('57014'))).toBe(true);
  });

  it('leaves SQL and programming errors as bugs (500)', () => {
    expect(isClaimsOutage(withCode('42601'))).toBe(false);
    expect(isClaimsOutage(withCode('23505'))).toBe(false);
    expect(isClaimsOutage(new TypeError('bad'))).toBe(false);
    expect(isClaimsOutage('not an error')).toBe(false);
  });
});

describe('claimsUnavailable', () => {
  it('is a 503 with Retry-After that keeps its cause', () => {
    const cause = new Error('down');
    expect(claimsUnavailable(cause)).toMatchObject({ code: 'claims_unavailable', status: 503, cause });
    expect(claimsUnavailable().headers).toEqual({ 'Retry-After': '5' });
  });
});
