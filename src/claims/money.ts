/**
 * Money is stored and summed as integer øre and becomes NOK only at the edge. The NOK number is
 * parsed from its exact decimal text, so it is the double nearest the true amount (123450 øre →
 * 1234.5) and no sum ever shows a 0.1 + 0.2 artefact. A JSON number is exact to the øre only up to
 * 2^53 øre (about 90 000 billion NOK); no claim comes near.
 */

/** Reads an øre amount as the drivers return BIGINT: number (PGlite, when safe), bigint or string (pg). */
export function toOere(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?[0-9]+$/.test(value)) return BigInt(value);
  throw new TypeError('An øre amount from the claims database is not an integer.');
}

/** NOK as a JSON number rounded to øre, e.g. 123450n → 1234.5, -5n → -0.05. */
export function toKroner(oere: bigint): number {
  const negative = oere < 0n;
  const abs = negative ? -oere : oere;
  const kroner = abs / 100n;
  const rest = (abs % 100n).toString().padStart(2, '0');
  return Number(`${negative ? '-' : ''}${kroner}.${rest}`);
}

export function sumOere(amounts: Iterable<bigint>): bigint {
  let sum = 0n;
  for (const amount of amounts) sum += amount;
  return sum;
}
