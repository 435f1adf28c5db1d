import { z } from 'zod';
import { systemUserMissing } from '../errors.js';

export const SYSTEMUSER_TYPE = 'urn:altinn:systemuser';

// RFC 9562 text form, any version or variant: Altinn issues v4 today, but that is not ours to police.
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
// ISO 6523 ICD 0192 is the Norwegian organization number register: `0192:<9 digits>`.
const orgIdentifier = z.string().regex(/^0192:[0-9]{9}$/);

// Maskinporten writes `ID`; some Altinn payloads write `id`. Either is accepted, `ID` wins.
const orgRef = z
  .object({ authority: z.string().optional(), ID: orgIdentifier.optional(), id: orgIdentifier.optional() })
  .transform((o) => o.ID ?? o.id)
  .pipe(orgIdentifier);

const systemUserDetail = z.object({
  type: z.literal(SYSTEMUSER_TYPE),
  systemuser_id: z.array(uuid).min(1),
  systemuser_org: orgRef,
  system_id: z.string().min(1).max(256),
});

export interface SystemUserClaims {
  systemUser: { id: string; orgNo: string };
  systemId: string;
  consumerOrgNo: string | undefined;
  clientId: string | undefined;
}

const orgNoOf = (identifier: string) => identifier.slice('0192:'.length);

// Verified claims of a cached token are one frozen object reused by every request that presents the token:
// its system user is read once. Frozen only, since a mutable object could change between two reads.
const readOnce = new WeakMap<object, SystemUserClaims>();

/**
 * Reads the Altinn system user out of a verified Maskinporten token's claims.
 * The first `systemuser_id` is the system user, as Altinn's own PEP reads it.
 */
export function readSystemUser(claims: Record<string, unknown>): SystemUserClaims {
  if (!Object.isFrozen(claims)) return parseSystemUser(claims);
  let subject = readOnce.get(claims);
  if (subject === undefined) {
    subject = parseSystemUser(claims);
    // Every request with this token gets these objects in `req.portvakt`: one handler must not change the next's.
    Object.freeze(subject.systemUser);
    Object.freeze(subject);
    readOnce.set(claims, subject);
  }
  return subject;
}

function parseSystemUser(claims: Record<string, unknown>): SystemUserClaims {
  const details = claims.authorization_details;
  if (!Array.isArray(details)) throw systemUserMissing('The token has no authorization_details naming a system user.');
  const entry = details.find(
    (d: unknown) => typeof d === 'object' && d !== null && (d as { type?: unknown }).type === SYSTEMUSER_TYPE,
  );
  if (entry === undefined) throw systemUserMissing('The token names no Altinn system user (urn:altinn:systemuser).');
  const parsed = systemUserDetail.safeParse(entry);
  if (!parsed.success) {
    const path = parsed.error.issues[0]?.path.join('.') || 'entry';
    throw systemUserMissing(`The token's system user entry is malformed at "${path}".`);
  }
  const consumer = orgRef.safeParse(claims.consumer);
  return {
    systemUser: { id: parsed.data.systemuser_id[0]!, orgNo: orgNoOf(parsed.data.systemuser_org) },
    systemId: parsed.data.system_id,
    consumerOrgNo: consumer.success ? orgNoOf(consumer.data) : undefined,
    clientId: typeof claims.client_id === 'string' ? claims.client_id : undefined,
  };
}
