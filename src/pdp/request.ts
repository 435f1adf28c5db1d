import type { DecisionQuery } from '../context.js';

/** XACML 3.0 JSON profile attribute ids Altinn Authorization understands. */
export const XACML_ATTRIBUTES = {
  systemUserUuid: 'urn:altinn:systemuser:uuid',
  actionId: 'urn:oasis:names:tc:xacml:1.0:action:action-id',
  resource: 'urn:altinn:resource',
  organizationNumber: 'urn:altinn:organization:identifier-no',
} as const;

const XML_STRING = 'http://www.w3.org/2001/XMLSchema#string';

interface XacmlAttribute {
  AttributeId: string;
  Value: string;
  DataType?: string;
}

interface XacmlCategory {
  Attribute: XacmlAttribute[];
}

/** The body of one decision request to Altinn's PDP. */
export interface PdpRequestBody {
  Request: {
    ReturnPolicyIdList: false;
    AccessSubject: [XacmlCategory];
    Action: [XacmlCategory];
    Resource: [XacmlCategory];
  };
}

/** May `systemUserId` do `action` on `resource` for `party`? As one XACML JSON request. */
export function buildPdpRequest(query: DecisionQuery): PdpRequestBody {
  return {
    Request: {
      // Policy ids would only enlarge the answer; we never read them.
      ReturnPolicyIdList: false,
      // The system user's uuid is the only subject attribute: Altinn's PDP refuses a request that mixes it with others.
      AccessSubject: [{ Attribute: [{ AttributeId: XACML_ATTRIBUTES.systemUserUuid, Value: query.systemUserId }] }],
      Action: [{ Attribute: [{ AttributeId: XACML_ATTRIBUTES.actionId, Value: query.action, DataType: XML_STRING }] }],
      Resource: [
        {
          Attribute: [
            { AttributeId: XACML_ATTRIBUTES.resource, Value: query.resource },
            { AttributeId: XACML_ATTRIBUTES.organizationNumber, Value: query.party },
          ],
        },
      ],
    },
  };
}
