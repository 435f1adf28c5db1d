import { pdpUnavailable } from '../errors.js';

/**
 * What the PDP's answer means for the request. A refusal says why: `Deny` and `NotApplicable` as the
 * PDP said, `obligation` for a Permit whose obligations Portvakt does not understand or cannot meet.
 * Only decisions are represented: an answer that is no decision (Indeterminate, unreadable) is thrown
 * as `pdp_unavailable`, so it can never be cached.
 */
export type Decision =
  | { permit: true }
  | { permit: false; reason: 'Deny' | 'NotApplicable' | 'obligation'; detail: string };

/** Obligation categories carrying the policy's minimum authentication level (as Altinn's own PEPs read them). */
export const MINIMUM_AUTHENTICATION_LEVEL_CATEGORIES: readonly string[] = [
  'urn:altinn:minimum-authenticationlevel',
  'urn:altinn:minimum-authenticationlevel-org',
];

/** The level Altinn gives a Maskinporten-authenticated system user. */
export const SYSTEM_USER_AUTHENTICATION_LEVEL = 3;

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const unreadable = (why: string) => pdpUnavailable(`Altinn Authorization's answer could not be read: ${why}.`);

/**
 * Reads a property whatever its case: Altinn's PDP answers camelCase (`response[0].decision`), the
 * XACML JSON profile says PascalCase. Two spellings of one name in one object make the answer ambiguous.
 */
function field(object: JsonObject, name: string): unknown {
  const wanted = name.toLowerCase();
  const keys = Object.keys(object).filter((key) => key.toLowerCase() === wanted);
  if (keys.length > 1) throw unreadable(`"${name}" appears in more than one spelling`);
  return keys.length === 1 ? object[keys[0]!] : undefined;
}

/** An absent or null list is an empty one; anything else that is not a list of objects is unreadable. */
function objectList(object: JsonObject, name: string): JsonObject[] {
  const value = field(object, name);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every(isObject)) throw unreadable(`"${name}" is not a list of objects`);
  return value;
}

/**
 * The meaning of one PDP answer (docs/design.md, "The PDP call"). Throws `pdp_unavailable` for Indeterminate, for anything
 * but exactly one result, for a decision outside the four (matched exactly), and for an unreadable body.
 */
export function readDecision(body: unknown): Decision {
  if (!isObject(body)) throw unreadable('not a JSON object');
  const results = field(body, 'Response');
  if (!Array.isArray(results)) throw unreadable('no "Response" list');
  // One question was asked; any other number of answers cannot be matched to it.
  if (results.length !== 1) throw unreadable(`${results.length} results where one was expected`);
  const result: unknown = results[0];
  if (!isObject(result)) throw unreadable('the result is not an object');

  const decision = field(result, 'Decision');
  switch (decision) {
    case 'Permit':
      return readObligations(objectList(result, 'Obligations'));
    case 'Deny':
      return { permit: false, reason: 'Deny', detail: 'Altinn Authorization denied the request.' };
    case 'NotApplicable':
      return {
        permit: false,
        reason: 'NotApplicable',
        detail: 'No Altinn policy or delegation gives this system user the action on this resource for this party.',
      };
    case 'Indeterminate':
      // Altinn's PDP answers HTTP 200 Indeterminate when it fails internally: an outage, not a refusal.
      throw pdpUnavailable('Altinn Authorization could not reach a decision (Indeterminate).');
    default:
      throw unreadable('the decision is not Permit, Deny, NotApplicable or Indeterminate');
  }
}

const refusedByObligation = (detail: string): Decision => ({ permit: false, reason: 'obligation', detail });

/**
 * A Permit stands only if every obligation is understood and met (XACML §7.18: a PEP that cannot
 * discharge an obligation must not grant access). Altinn sends `{ Id, AttributeAssignment: [{ AttributeId,
 * Value, Category, DataType, Issuer }] }`; the only one understood is the minimum authentication level.
 */
function readObligations(obligations: JsonObject[]): Decision {
  for (const obligation of obligations) {
    const assignments = objectList(obligation, 'AttributeAssignment');
    if (assignments.length === 0)
      return refusedByObligation('Access was permitted under an obligation Portvakt does not understand.');
    for (const assignment of assignments) {
      const category = field(assignment, 'Category');
      if (typeof category !== 'string' || !MINIMUM_AUTHENTICATION_LEVEL_CATEGORIES.includes(category)) {
        return refusedByObligation('Access was permitted under an obligation Portvakt does not understand.');
      }
      const level = parseLevel(field(assignment, 'Value'));
      if (level === undefined) {
        return refusedByObligation('Access was permitted under an unreadable minimum authentication level.');
      }
      if (level > SYSTEM_USER_AUTHENTICATION_LEVEL) {
        return refusedByObligation(
          `The policy requires authentication level ${level}; a system user has level ${SYSTEM_USER_AUTHENTICATION_LEVEL}.`,
        );
      }
    }
  }
  return { permit: true };
}

/** Altinn sends the level as a string (`"3"`); a number is accepted too. Anything else is unreadable. */
function parseLevel(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^\d{1,9}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}
