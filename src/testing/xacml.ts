import type { DecisionQuery } from '../context.js';
import { XACML_ATTRIBUTES } from '../pdp/request.js';
import { MINIMUM_AUTHENTICATION_LEVEL_CATEGORIES } from '../pdp/response.js';

// One set of Altinn's identifiers for both sides: the PEP that asks and this PDP that answers. The
// PEP's tests pin the literal values, so sharing them cannot hide a typo.
export const SYSTEMUSER_ATTRIBUTE = XACML_ATTRIBUTES.systemUserUuid;
export const ACTION_ATTRIBUTE = XACML_ATTRIBUTES.actionId;
export const RESOURCE_ATTRIBUTE = XACML_ATTRIBUTES.resource;
export const ORGANIZATION_ATTRIBUTE = XACML_ATTRIBUTES.organizationNumber;
export const MINIMUM_AUTHENTICATION_LEVEL: string = MINIMUM_AUTHENTICATION_LEVEL_CATEGORIES[0]!;
export const MINIMUM_AUTHENTICATION_LEVEL_ORG: string = MINIMUM_AUTHENTICATION_LEVEL_CATEGORIES[1]!;
const STATUS_OK = 'urn:oasis:names:tc:xacml:1.0:status:ok';
const STATUS_PROCESSING_ERROR = 'urn:oasis:names:tc:xacml:1.0:status:processing-error';
const XSD_INTEGER = 'http://www.w3.org/2001/XMLSchema#integer';

export interface XacmlAttributeAssignment {
  AttributeId: string;
  Value: string;
  Category: string;
  DataType: string;
  Issuer: string | null;
}

/** An obligation in a PDP result, in the PascalCase of the XACML JSON profile. */
export interface XacmlObligation {
  Id: string;
  AttributeAssignment: XacmlAttributeAssignment[];
}

/**
 * The obligation Altinn attaches to a Permit when the resource's policy demands an authentication
 * level. Ids and shape copied from a tt02 answer: the `-org` category comes as `authenticationLevel2`.
 * @param level the minimum level (Maskinporten-authenticated system users count as 3)
 * @param category `'urn:altinn:minimum-authenticationlevel'` (default) or `'…-authenticationlevel-org'`
 */
export function minimumAuthenticationLevel(level: number, category = MINIMUM_AUTHENTICATION_LEVEL): XacmlObligation {
  const n = category === MINIMUM_AUTHENTICATION_LEVEL_ORG ? 2 : 1;
  return {
    Id: `urn:altinn:obligation:authenticationLevel${n}`,
    AttributeAssignment: [
      {
        AttributeId: `urn:altinn:obligation${n}-assignment${n}`,
        Value: String(level),
        Category: category,
        DataType: XSD_INTEGER,
        Issuer: null,
      },
    ],
  };
}

export type ParsedRequest = { ok: true; query: DecisionQuery } | { ok: false; errors: Record<string, string[]> };

/**
 * Reads a §5 decision request. Property names are matched case-insensitively, as ASP.NET does for the
 * real PDP. Refused (the caller answers 400): anything but exactly one AccessSubject, Action and Resource;
 * an AccessSubject with any attribute besides the system user's uuid (Altinn refuses mixed subjects);
 * a missing action, resource or organization number. Extra Resource/Action attributes are ignored.
 */
export function parseDecisionRequest(body: unknown): ParsedRequest {
  const errors: Record<string, string[]> = {};
  const fail = (path: string, message: string) => {
    errors[path] = [...(errors[path] ?? []), message];
  };
  const request = field(body, 'Request');
  if (!isObject(request)) return { ok: false, errors: { Request: ['The Request field is required.'] } };

  const single = (name: string) => {
    const entries = asList(field(request, name));
    if (entries.length !== 1) {
      fail(name, `Exactly one ${name} is required (the testing PDP answers single requests only).`);
      return [];
    }
    return asList(field(entries[0], 'Attribute')).map((attribute) => ({
      id: field(attribute, 'AttributeId'),
      value: field(attribute, 'Value'),
    }));
  };
  const attributeValue = (attributes: { id: unknown; value: unknown }[], category: string, id: string) => {
    const found = attributes.filter((a) => a.id === id);
    const value = found[0]?.value;
    if (found.length !== 1 || typeof value !== 'string' || value === '') {
      fail(category, `Exactly one non-empty ${id} attribute is required.`);
      return '';
    }
    return value;
  };

  const subject = single('AccessSubject');
  const systemUserId = attributeValue(subject, 'AccessSubject', SYSTEMUSER_ATTRIBUTE);
  if (subject.some((a) => a.id !== SYSTEMUSER_ATTRIBUTE)) {
    fail('AccessSubject', `${SYSTEMUSER_ATTRIBUTE} cannot be combined with other subject attributes.`);
  }
  const action = attributeValue(single('Action'), 'Action', ACTION_ATTRIBUTE);
  const resourceAttributes = single('Resource');
  const resource = attributeValue(resourceAttributes, 'Resource', RESOURCE_ATTRIBUTE);
  const party = attributeValue(resourceAttributes, 'Resource', ORGANIZATION_ATTRIBUTE);

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, query: { systemUserId, resource, action, party } };
}

export type Casing = 'pascal' | 'camel';

export interface ResultSpec {
  decision: string;
  obligations?: readonly object[];
}

/**
 * The PDP's answer. PascalCase is the XACML JSON profile; camelCase is what Altinn's PDP actually
 * sends, nulls and all (copied from a tt02 answer), so a client that trips over those is caught.
 */
export function decisionResponse(results: readonly ResultSpec[], casing: Casing): unknown {
  if (casing === 'pascal') {
    return {
      Response: results.map(({ decision, obligations }) => ({
        Decision: decision,
        Status: { StatusCode: { Value: statusFor(decision) } },
        ...(obligations?.length ? { Obligations: obligations } : {}),
      })),
    };
  }
  return camelize({
    Response: results.map(({ decision, obligations }) => ({
      Decision: decision,
      Status: {
        StatusMessage: null,
        StatusDetails: null,
        StatusCode: { Value: statusFor(decision), StatusCode: null },
      },
      Obligations: obligations?.length ? obligations : null,
      AssociateAdvice: null,
      Category: null,
      PolicyIdentifierList: null,
    })),
  });
}

/** Lower-cases the first letter of every property name, recursively. */
export function camelize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelize);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key.charAt(0).toLowerCase() + key.slice(1), camelize(inner)]),
  );
}

function statusFor(decision: string): string {
  return decision === 'Indeterminate' ? STATUS_PROCESSING_ERROR : STATUS_OK;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, name: string): unknown {
  if (!isObject(value)) return undefined;
  const key = Object.keys(value).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : value[key];
}

/** The JSON profile allows a category or attribute list to be a single object instead of an array. */
function asList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null ? [] : [value];
}
