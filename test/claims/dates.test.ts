import { describe, expect, it } from 'vitest';
import { daysBetween, osloToday } from '../../src/claims/dates.js';
import { stipulerteRenterOere } from '../../src/claims/renter.js';

describe('osloToday', () => {
  it('gives the Norwegian calendar date, in winter (UTC+1) and summer (UTC+2)', () => {
    expect(osloToday(new Date('2026-11-22T23:30:00Z'))).toBe('2026-11-23');
    expect(osloToday(new Date('2026-11-22T22:59:59Z'))).toBe('2026-11-22');
    expect(osloToday(new Date('2026-06-30T22:30:00Z'))).toBe('2026-07-01');
    expect(osloToday(new Date('2026-06-30T21:59:59Z'))).toBe('2026-06-30');
  });
});

describe('daysBetween', () => {
  it('counts calendar days, across a DST change and a leap day', () => {
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2);
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2);
    expect(daysBetween('2026-11-23', '2026-11-22')).toBe(-1);
  });
});

describe('stipulerteRenterOere', () => {
  it('is simple interest at 12.25 % a year, actual/365, rounded half up to øre', () => {
    expect(stipulerteRenterOere(36_500_000n, '2026-11-22', '2026-11-23')).toBe(12_250n);
    // 48 312.50 NOK for 42 days: 681.0077… NOK → 68 101 øre.
    expect(stipulerteRenterOere(4_831_250n, '2026-10-12', '2026-11-23')).toBe(68_101n);
  });

  it('is zero before and on the due date', () => {
    expect(stipulerteRenterOere(1_000_000n, '2026-11-23', '2026-11-23')).toBe(0n);
    expect(stipulerteRenterOere(1_000_000n, '2026-12-10', '2026-11-23')).toBe(0n);
  });
});
