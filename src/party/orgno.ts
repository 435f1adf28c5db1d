import { partyInvalid } from '../errors.js';

const WEIGHTS = [3, 2, 7, 6, 5, 4, 3, 2] as const;
const NINE_DIGITS = /^[0-9]{9}$/;

/** A Norwegian organization number: 9 digits whose last is the mod-11 check digit of the first 8. */
export function isValidOrgNo(value: string): boolean {
  return NINE_DIGITS.test(value) && checkDigitHolds(value);
}

/** The mod-11 check of 9 digits. */
function checkDigitHolds(value: string): boolean {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += WEIGHTS[i]! * (value.charCodeAt(i) - 48);
  const rest = 11 - (sum % 11);
  const check = rest === 11 ? 0 : rest;
  // A remainder giving 10 is never issued as an organization number.
  return check !== 10 && check === value.charCodeAt(8) - 48;
}

/** The party from the request, or a 400 `party_invalid` that names what is wrong without echoing much. */
export function parseParty(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw partyInvalid('The party (organization number) is missing.');
  if (!NINE_DIGITS.test(value)) throw partyInvalid('The party must be a 9-digit organization number.');
  if (!checkDigitHolds(value)) throw partyInvalid('The organization number has an invalid check digit.');
  return value;
}
