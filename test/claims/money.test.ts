import { describe, expect, it } from 'vitest';
import { sumOere, toKroner, toOere } from '../../src/claims/money.js';

describe('money', () => {
  it('turns øre into NOK rounded to øre', () => {
    expect(toKroner(123_450n)).toBe(1234.5);
    expect(toKroner(5n)).toBe(0.05);
    expect(toKroner(0n)).toBe(0);
    expect(toKroner(-5n)).toBe(-0.05);
    expect(toKroner(-123_456n)).toBe(-1234.56);
  });

  it('sums in øre, so 0.10 + 0.20 is 0.30', () => {
    expect(toKroner(sumOere([10n, 20n]))).toBe(0.3);
    expect(0.1 + 0.2).not.toBe(0.3);
  });

  it('reads BIGINT as each driver returns it, and refuses anything else', () => {
    expect(toOere(123_450)).toBe(123_450n);
    expect(toOere('9007199254740993')).toBe(9_007_199_254_740_993n);
    expect(toOere(7n)).toBe(7n);
    expect(() => toOere(1.5)).toThrow(TypeError);
    expect(() => toOere('12.50')).toThrow(TypeError);
    expect(() => toOere(null)).toThrow(TypeError);
  });
});
