import { describe, expect, it } from 'vitest';
import { parsePeriod, plusOneYear } from '../../src/gateway/period.js';

const refused = (query: Record<string, unknown>) => {
  try {
    parsePeriod(query);
  } catch (err) {
    return err;
  }
  throw new Error(`accepted ${JSON.stringify(query)}`);
};

const expectRefused = (query: Record<string, unknown>) =>
  expect(refused(query)).toMatchObject({ code: 'period_invalid', status: 400 });

describe('parsePeriod', () => {
  it('accepts a period within one year and returns it', () => {
    expect(parsePeriod({ fraOgMed: '2025-01-01', tilOgMed: '2025-12-31' })).toEqual({
      fraOgMed: '2025-01-01',
      tilOgMed: '2025-12-31',
    });
    expect(parsePeriod({ fraOgMed: '2026-11-23', tilOgMed: '2026-11-23', other: 'ignored' })).toEqual({
      fraOgMed: '2026-11-23',
      tilOgMed: '2026-11-23',
    });
  });

  it('refuses a period of a whole year or more', () => {
    expectRefused({ fraOgMed: '2025-01-01', tilOgMed: '2026-01-01' });
    expectRefused({ fraOgMed: '2025-06-15', tilOgMed: '2026-06-15' });
    expectRefused({ fraOgMed: '2020-01-01', tilOgMed: '2026-01-01' });
    expect(parsePeriod({ fraOgMed: '2025-06-15', tilOgMed: '2026-06-14' }).tilOgMed).toBe('2026-06-14');
  });

  it('gives a leap year its 366 days', () => {
    expect(parsePeriod({ fraOgMed: '2024-01-01', tilOgMed: '2024-12-31' }).tilOgMed).toBe('2024-12-31');
    expect(parsePeriod({ fraOgMed: '2023-03-01', tilOgMed: '2024-02-29' }).tilOgMed).toBe('2024-02-29');
    expectRefused({ fraOgMed: '2023-03-01', tilOgMed: '2024-03-01' });
  });

  it('counts a year from 29 February to 28 February', () => {
    expect(plusOneYear('2024-02-29')).toBe('2025-02-28');
    expect(plusOneYear('2025-02-28')).toBe('2026-02-28');
    expect(parsePeriod({ fraOgMed: '2024-02-29', tilOgMed: '2025-02-27' }).tilOgMed).toBe('2025-02-27');
    expectRefused({ fraOgMed: '2024-02-29', tilOgMed: '2025-02-28' });
    expectRefused({ fraOgMed: '2024-02-29', tilOgMed: '2025-03-01' });
  });

  it('accepts 29 February only in a leap year', () => {
    expect(parsePeriod({ fraOgMed: '2024-02-29', tilOgMed: '2024-03-01' }).fraOgMed).toBe('2024-02-29');
    expect(parsePeriod({ fraOgMed: '2000-02-29', tilOgMed: '2000-02-29' }).fraOgMed).toBe('2000-02-29');
    expectRefused({ fraOgMed: '2026-02-29', tilOgMed: '2026-03-01' });
    expectRefused({ fraOgMed: '2026-01-01', tilOgMed: '2026-02-29' });
    expectRefused({ fraOgMed: '1900-02-29', tilOgMed: '1900-03-01' });
  });

  it('refuses tilOgMed before fraOgMed', () => {
    expectRefused({ fraOgMed: '2026-11-23', tilOgMed: '2026-11-22' });
  });

  it('refuses a missing or empty bound', () => {
    expectRefused({});
    expectRefused({ fraOgMed: '2026-01-01' });
    expectRefused({ tilOgMed: '2026-01-01' });
    expectRefused({ fraOgMed: '', tilOgMed: '2026-01-01' });
  });

  it('refuses a repeated parameter (an array) and other non-strings', () => {
    expectRefused({ fraOgMed: ['2026-01-01', '2026-02-01'], tilOgMed: '2026-03-01' });
    expectRefused({ fraOgMed: ['2026-01-01'], tilOgMed: '2026-03-01' });
    expectRefused({ fraOgMed: '2026-01-01', tilOgMed: { a: '2026-03-01' } });
    expectRefused({ fraOgMed: 20260101, tilOgMed: '2026-03-01' });
  });

  it('refuses anything but a strict YYYY-MM-DD calendar date', () => {
    for (const garbage of [
      'yesterday',
      '2026-1-01',
      '2026-01-1',
      '26-01-01',
      '2026/01/01',
      '01.01.2026',
      '2026-01-01T00:00:00Z',
      ' 2026-01-01',
      '2026-01-01 ',
      '2026-13-01',
      '2026-04-31',
      '2026-00-10',
      '2026-01-00',
      '+02026-01-01',
      '２０２６-01-01',
    ]) {
      expectRefused({ fraOgMed: garbage, tilOgMed: '2026-12-31' });
      expectRefused({ fraOgMed: '2026-01-01', tilOgMed: garbage });
    }
  });

  it('names the parameter in the detail, without echoing the value', () => {
    expect(refused({ fraOgMed: '2026-02-29', tilOgMed: '2026-03-01' })).toHaveProperty(
      'message',
      expect.stringContaining('fraOgMed'),
    );
    expect(refused({ fraOgMed: '<script>', tilOgMed: '2026-03-01' })).toHaveProperty(
      'message',
      expect.not.stringContaining('<script>'),
    );
  });
});
