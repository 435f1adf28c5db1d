import { daysBetween } from './dates.js';

/**
 * Stipulated interest (`sumStipulerteRenter`) is an estimate, as it is in Skatteetaten's own answer:
 * simple interest on the remaining amount of each overdue claim, for the days from `kravforfall` to
 * today, at one fixed annual rate on an actual/365 basis, rounded half up to whole øre per claim.
 * The rate is illustrative (12.25 % a year, a recent level of the Norwegian forsinkelsesrente); the
 * official rate changes every half year and is not tracked here. Deterministic for a given `today`.
 */
export const STIPULERT_RENTESATS_BASISPUNKTER = 1225n;

const DENOMINATOR = 10_000n * 365n;

export function stipulerteRenterOere(gjenstaaendeOere: bigint, kravforfall: string, today: string): bigint {
  const days = daysBetween(kravforfall, today);
  if (days <= 0 || gjenstaaendeOere <= 0n) return 0n;
  return (gjenstaaendeOere * STIPULERT_RENTESATS_BASISPUNKTER * BigInt(days) + DENOMINATOR / 2n) / DENOMINATOR;
}
