import { z } from 'zod';

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

/** The Altinn system user a token acts as. */
export interface SystemUser {
  /** Its uuid (the token's first `systemuser_id`). */
  id: string;
  /** The organization number that owns it. */
  orgNo: string;
}

/** What the token's `authorization_details` say of the system user: it, or why there is none. */
export type SystemUserClaim = { systemUser: SystemUser; systemId: string } | { systemUser: undefined; problem: string };

const orgNoOf = (identifier: string) => identifier.slice('0192:'.length);

/**
 * Reads the Altinn system user out of a verified Maskinporten token's claims.
 * The first `systemuser_id` is the system user, as Altinn's own PEP reads it.
 */
export function readSystemUser(claims: Record<string, unknown>): SystemUserClaim {
  const details = claims.authorization_details;
  if (!Array.isArray(details)) {
    return { systemUser: undefined, problem: 'The token has no authorization_details naming a system user.' };
  }
  const entry = details.find(
    (d: unknown) => typeof d === 'object' && d !== null && (d as { type?: unknown }).type === SYSTEMUSER_TYPE,
  );
  if (entry === undefined) {
    return { systemUser: undefined, problem: 'The token names no Altinn system user (urn:altinn:systemuser).' };
  }
  const parsed = systemUserDetail.safeParse(entry);
  if (!parsed.success) {
    const path = parsed.error.issues[0]?.path.join('.') || 'entry';
    return { systemUser: undefined, problem: `The token's system user entry is malformed at "${path}".` };
  }
  return {
    systemUser: { id: parsed.data.systemuser_id[0]!, orgNo: orgNoOf(parsed.data.systemuser_org) },
    systemId: parsed.data.system_id,
  };
}

/** The vendor's organization number from the token's `consumer`, when it names one. */
export function readConsumerOrgNo(claims: Record<string, unknown>): string | undefined {
  const consumer = orgRef.safeParse(claims.consumer);
  return consumer.success ? orgNoOf(consumer.data) : undefined;
}
