import { describe, expect, it } from 'vitest';
import { isPortvaktError } from '../../src/errors.js';
import { readDecision } from '../../src/pdp/response.js';

const LEVEL = 'urn:altinn:minimum-authenticationlevel';
const LEVEL_ORG = 'urn:altinn:minimum-authenticationlevel-org';

/** An obligation as Altinn sends it (PascalCase JSON profile). */
const obligation = (...assignments: object[]) => ({
  Id: 'urn:altinn:obligation:authenticationLevel1',
  AttributeAssignment: assignments,
});
const assignment = (category: string, value: unknown) => ({
  AttributeId: 'urn:altinn:obligation1-assignment1',
  Value: value,
  Category: category,
  DataType: 'http://www.w3.org/2001/XMLSchema#integer',
  Issuer: null,
});
const permitWith = (...obligations: unknown[]) => ({ Response: [{ Decision: 'Permit', Obligations: obligations }] });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isPortvaktError(err) ? err.code : `not a PortvaktError: ${String(err)}`;
  }
  return undefined;
}

describe('readDecision', () => {
  it('reads Permit, Deny and NotApplicable', () => {
    expect(readDecision({ Response: [{ Decision: 'Permit' }] })).toEqual({ permit: true });
    expect(readDecision({ Response: [{ Decision: 'Deny' }] })).toMatchObject({ permit: false, reason: 'Deny' });
    expect(readDecision({ Response: [{ Decision: 'NotApplicable' }] })).toMatchObject({
      permit: false,
      reason: 'NotApplicable',
    });
  });

  it("reads Altinn's camelCase answer, nulls included", () => {
    const body = {
      response: [
        {
          decision: 'Permit',
          status: {
            statusMessage: null,
            statusDetails: null,
            statusCode: { value: 'urn:oasis:names:tc:xacml:1.0:status:ok' },
          },
          obligations: null,
          associateAdvice: null,
          category: null,
          policyIdentifierList: null,
        },
      ],
    };
    expect(readDecision(body)).toEqual({ permit: true });
  });

  it('reads camelCase obligations', () => {
    const body = {
      response: [
        {
          decision: 'Permit',
          obligations: [{ id: 'x', attributeAssignment: [{ attributeId: 'y', value: '4', category: LEVEL }] }],
        },
      ],
    };
    expect(readDecision(body)).toMatchObject({ permit: false, reason: 'obligation' });
  });

  it.each([
    ['Indeterminate', { Response: [{ Decision: 'Indeterminate' }] }],
    ['a lower-case decision', { Response: [{ Decision: 'permit' }] }],
    ['an unknown decision', { Response: [{ Decision: 'Maybe' }] }],
    ['a decision that is not a string', { Response: [{ Decision: true }] }],
    ['no decision', { Response: [{}] }],
    ['no result', { Response: [] }],
    ['two results', { Response: [{ Decision: 'Permit' }, { Decision: 'Permit' }] }],
    ['a result that is not an object', { Response: ['Permit'] }],
    ['a Response that is not a list', { Response: { Decision: 'Permit' } }],
    ['no Response', { Decision: 'Permit' }],
    ['null', null],
    ['a string', 'Permit'],
    ['an array', [{ Decision: 'Permit' }]],
    ['one name in two spellings', { Response: [{ Decision: 'Deny', decision: 'Permit' }] }],
    ['obligations that are not a list', { Response: [{ Decision: 'Permit', Obligations: { Id: 'x' } }] }],
    ['an obligation that is not an object', permitWith('urn:altinn:obligation')],
    ['assignments that are not a list', permitWith({ Id: 'x', AttributeAssignment: assignment(LEVEL, '3') })],
  ])('treats %s as pdp_unavailable', (_name, body) => {
    expect(codeOf(() => readDecision(body))).toBe('pdp_unavailable');
  });

  it('ignores obligations on a refusal', () => {
    const body = { Response: [{ Decision: 'Deny', Obligations: [obligation(assignment('urn:other', 'x'))] }] };
    expect(readDecision(body)).toMatchObject({ permit: false, reason: 'Deny' });
  });

  describe('obligations on a Permit', () => {
    it.each([
      ['level 3', permitWith(obligation(assignment(LEVEL, '3')))],
      ['level 0', permitWith(obligation(assignment(LEVEL, '0')))],
      ['level 2 as a number', permitWith(obligation(assignment(LEVEL, 2)))],
      ['the -org category at level 3', permitWith(obligation(assignment(LEVEL_ORG, '3')))],
      ['both categories met', permitWith(obligation(assignment(LEVEL, '2')), obligation(assignment(LEVEL_ORG, '3')))],
      ['an empty obligation list', permitWith()],
    ])('permits %s', (_name, body) => {
      expect(readDecision(body)).toEqual({ permit: true });
    });

    it.each([
      ['level 4', permitWith(obligation(assignment(LEVEL, '4')))],
      ['the -org category at level 4', permitWith(obligation(assignment(LEVEL_ORG, '4')))],
      [
        'one of two levels unmet',
        permitWith(obligation(assignment(LEVEL, '2')), obligation(assignment(LEVEL_ORG, '4'))),
      ],
      ['an unknown category', permitWith(obligation(assignment('urn:altinn:some-other-obligation', '1')))],
      ['a known and an unknown assignment', permitWith(obligation(assignment(LEVEL, '2'), assignment('urn:x', '1')))],
      ['an obligation without assignments', permitWith({ Id: 'urn:altinn:obligation:log' })],
      ['an assignment without a category', permitWith(obligation({ AttributeId: 'a', Value: '1' }))],
      ['an unparsable level', permitWith(obligation(assignment(LEVEL, 'high')))],
      ['a fractional level', permitWith(obligation(assignment(LEVEL, '2.5')))],
      ['a negative level', permitWith(obligation(assignment(LEVEL, -1)))],
      ['a missing level', permitWith(obligation(assignment(LEVEL, null)))],
      ['a category in other case', permitWith(obligation(assignment(LEVEL.toUpperCase(), '1')))],
    ])('refuses %s', (_name, body) => {
      expect(readDecision(body)).toMatchObject({ permit: false, reason: 'obligation' });
    });
  });
});
