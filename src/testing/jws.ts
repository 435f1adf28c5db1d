import { createHash, generateKeyPair, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

/** An RSA public key as published in a JWKS (RFC 7517). */
export interface PublicJwk {
  kty: 'RSA';
  n: string;
  e: string;
  kid: string;
  alg: 'RS256';
  use: 'sig';
}

/** A signing key of the test issuer: the private half never leaves the process. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: PublicJwk;
}

/**
 * An RSA 2048 key whose `kid` is its RFC 7638 thumbprint: stable for the key, distinct across
 * rotations, and free of characters a careless verifier might treat as a path.
 */
function toSigningKey(publicKey: KeyObject, privateKey: KeyObject): SigningKey {
  const { n, e } = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  const kid = createHash('sha256')
    .update(JSON.stringify({ e, kty: 'RSA', n }))
    .digest('base64url');
  return { kid, privateKey, publicKey, jwk: { kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' } };
}

const RSA_OPTIONS = { modulusLength: 2048 } as const;

// RSA generation takes a few hundred ms; a couple of keys made ahead of need on libuv's pool keep
// rotateKeys() synchronous without making each test wait.
const SPARE_KEYS = 1;
const spares: SigningKey[] = [];
let refilling = 0;

function refill(): void {
  while (spares.length + refilling < SPARE_KEYS) {
    refilling += 1;
    generateKeyPair('rsa', RSA_OPTIONS, (err, publicKey, privateKey) => {
      refilling -= 1;
      if (!err) spares.push(toSigningKey(publicKey, privateKey));
    });
  }
}

/** A fresh signing key, never handed out twice: a spare when one is ready, else made on the spot. */
export function takeSigningKey(): SigningKey {
  let key = spares.shift();
  if (!key) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', RSA_OPTIONS);
    key = toSigningKey(publicKey, privateKey);
  }
  refill();
  return key;
}

/** As `takeSigningKey`, but generates off the main thread when no spare is ready. */
export async function takeSigningKeyAsync(): Promise<SigningKey> {
  if (spares.length > 0) return takeSigningKey();
  refill();
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', RSA_OPTIONS);
  return toSigningKey(publicKey, privateKey);
}

export function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** RS256 = RSASSA-PKCS1-v1_5 with SHA-256, which is what `crypto.sign` does with an RSA key. */
export function signRs256(signingInput: string, privateKey: KeyObject): string {
  return sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url');
}

/** A compact JWS of `header.payload`, signed RS256 with `privateKey`. */
export function compactRs256(header: object, payload: object, privateKey: KeyObject): string {
  const input = `${encodeSegment(header)}.${encodeSegment(payload)}`;
  return `${input}.${signRs256(input, privateKey)}`;
}

/** `{ ...base, ...overrides }` where an override of `undefined` deletes the property. */
export function mergeDeleting(
  base: Record<string, unknown>,
  overrides: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

/** A uuid in RFC 9562 text form with version 4 and variant bits set, derived from `seed` (not random). */
export function uuidFromSeed(seed: string): string {
  const bytes = createHash('sha256').update(seed).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The system user uuid `token()` uses for `org` when none is given. Deterministic, so a test can
 * `pdp.permit(systemUserIdFor('310478717'), …)` without threading ids around.
 */
export function systemUserIdFor(org: string): string {
  return uuidFromSeed(`portvakt:systemuser:${org}`);
}
