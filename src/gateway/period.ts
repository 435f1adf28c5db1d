import { z } from 'zod';
import { periodInvalid } from '../errors.js';

/** An inclusive date range, both ends YYYY-MM-DD. */
export interface Period {
  fraOgMed: string;
  tilOgMed: string;
}

// zod's ISO date knows the calendar: 2024-02-29 passes, 2026-02-29 and 2026-04-31 do not.
const calendarDate = z.iso.date();

function readDate(query: Record<string, unknown>, name: keyof Period): string {
  const value = query[name];
  if (value === undefined || value === '') throw periodInvalid(`${name} is required (YYYY-MM-DD).`);
  // A repeated parameter arrives as an array: ambiguous, so refused rather than guessed.
  if (typeof value !== 'string') throw periodInvalid(`${name} must be given exactly once.`);
  // The value itself is not echoed: details are shown to clients and logged.
  if (!calendarDate.safeParse(value).success) throw periodInvalid(`${name} must be a calendar date as YYYY-MM-DD.`);
  return value;
}

/**
 * `date` plus one calendar year. 29 February goes to 28 February (the year after a leap year never
 * has one), the end-of-month rule Norwegian deadlines counted in years follow, as does java.time's
 * `plusYears`; so the longest period starting on 2024-02-29 ends on 2025-02-27.
 */
export function plusOneYear(date: string): string {
  const year = String(Number(date.slice(0, 4)) + 1).padStart(4, '0');
  const monthDay = date.slice(5);
  return `${year}-${monthDay === '02-29' ? '02-28' : monthDay}`;
}

/**
 * The `fraOgMed`/`tilOgMed` query of `/krav` and `/innbetalinger`: both required, real calendar
 * dates, not reversed, and `tilOgMed` before `fraOgMed` + 1 calendar year (as Skatteetaten limits
 * it). Throws `period_invalid` (400) otherwise.
 */
export function parsePeriod(query: Record<string, unknown>): Period {
  const fraOgMed = readDate(query, 'fraOgMed');
  const tilOgMed = readDate(query, 'tilOgMed');
  // YYYY-MM-DD strings order as the dates do.
  if (tilOgMed < fraOgMed) throw periodInvalid('tilOgMed must not be before fraOgMed.');
  const limit = plusOneYear(fraOgMed);
  // From year 9999 the limit lies past every four-digit date, so any tilOgMed is within it.
  if (limit.length === 10 && tilOgMed >= limit) {
    throw periodInvalid('The period must be shorter than one year: tilOgMed must be before fraOgMed plus one year.');
  }
  return { fraOgMed, tilOgMed };
}
