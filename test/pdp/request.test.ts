import { describe, expect, it } from 'vitest';
import { buildPdpRequest } from '../../src/pdp/request.js';

describe('buildPdpRequest', () => {
  it("is Altinn's XACML JSON request, with the system user as the only subject attribute", () => {
    const body = buildPdpRequest({
      systemUserId: 'a6355a68-86b8-4344-8a81-0248cb461468',
      resource: 'ske-krav-og-betalinger',
      action: 'read',
      party: '310478717',
    });
    expect(body).toStrictEqual({
      Request: {
        ReturnPolicyIdList: false,
        AccessSubject: [
          { Attribute: [{ AttributeId: 'urn:altinn:systemuser:uuid', Value: 'a6355a68-86b8-4344-8a81-0248cb461468' }] },
        ],
        Action: [
          {
            Attribute: [
              {
                AttributeId: 'urn:oasis:names:tc:xacml:1.0:action:action-id',
                Value: 'read',
                DataType: 'http://www.w3.org/2001/XMLSchema#string',
              },
            ],
          },
        ],
        Resource: [
          {
            Attribute: [
              { AttributeId: 'urn:altinn:resource', Value: 'ske-krav-og-betalinger' },
              { AttributeId: 'urn:altinn:organization:identifier-no', Value: '310478717' },
            ],
          },
        ],
      },
    });
  });
});
