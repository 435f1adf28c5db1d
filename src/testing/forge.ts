import { createHmac } from 'node:crypto';
import { encodeSegment, type SigningKey, signRs256 } from './jws.js';
import { nowSeconds, type TokenOptions } from './token.js';

/** What the forge needs from its issuer. */
export interface ForgeContext {
  /** The header and payload `token(options)` would sign. */
  parts(options?: TokenOptions): { header: Record<string, unknown>; payload: Record<string, unknown> };
  /** The key `token()` signs with now. */
  currentKey(): SigningKey;
  /** A key the issuer never publishes. */
  foreignKey(): SigningKey;
}

/** Header parameters that carry or point to a key; a resource server must trust none of them. */
export type HeaderKeyParameter = 'jwk' | 'jku' | 'x5u' | 'x5c';

/**
 * Tokens a resource server must refuse. Each takes the same options as `token()`, so the rest of the
 * token stays valid and the test proves the one defect is what gets it refused. Unless said otherwise
 * they are signed with the issuer's current key.
 *
 * Some are accepted by a stock verifier (jose's `jwtVerify` with a remote JWKS ignores `jwk`/`jku`/
 * `x5u`/`x5c` and a future `iat`): those exist to prove Portvakt checks more than the library does.
 */
export interface TokenForge {
  /** `exp` five minutes ago (`iat` ten minutes ago): past any sane clock tolerance. */
  expired(options?: TokenOptions): string;
  /** `nbf` five minutes ahead. */
  notYetValid(options?: TokenOptions): string;
  /** `iat` five minutes ahead (and `exp` after it); jose accepts this unless told to check `iat`. */
  issuedInFuture(options?: TokenOptions): string;
  /** `alg: "none"` and an empty signature (`header.payload.`). */
  algNone(options?: TokenOptions): string;
  /** `alg: "HS256"`, HMAC-signed with the issuer's public key as SPKI PEM text: the classic key confusion. */
  hs256WithPublicKey(options?: TokenOptions): string;
  /**
   * Signed with the real key and valid otherwise, but the header also carries `param`: `jwk` (a foreign
   * public key), `jku`/`x5u` (URLs under `attacker.invalid`, which never resolves) or `x5c` (the foreign
   * key's SPKI DER — not a real certificate; its presence is the defect).
   */
  keyInHeader(param: HeaderKeyParameter, options?: TokenOptions): string;
  /** `crit: ["urn:portvakt:test:unknown"]` with that parameter present: RFC 7515 §4.1.11 says refuse. */
  unknownCrit(options?: TokenOptions): string;
  /** A `kid` the JWKS never had (`'not-in-jwks'`); a refetch must not find it either. */
  unknownKid(options?: TokenOptions): string;
  /** `kid: "../../etc/passwd"`, for verifiers that build paths or URLs from the kid. */
  pathTraversalKid(options?: TokenOptions): string;
  /** `alg: "ES256"` with 64 zero bytes as signature (CVE-2022-21449, "psychic signatures"). */
  es256ZeroSignature(options?: TokenOptions): string;
  /** A valid token with its signature cut off, keeping the final dot: `header.payload.`. */
  strippedSignature(options?: TokenOptions): string;
  /** A valid token with one bit of its signature flipped. */
  tamperedSignature(options?: TokenOptions): string;
  /**
   * A valid token whose payload was then changed (`changes` merged over it; default: `exp` one hour
   * later), keeping the original signature.
   */
  tamperedPayload(options?: TokenOptions, changes?: Record<string, unknown>): string;
  /** A header segment that is base64url but not JSON, correctly signed. */
  headerNotJson(options?: TokenOptions): string;
  /** A payload segment that is base64url but not JSON, correctly signed. */
  payloadNotJson(options?: TokenOptions): string;
  /** Signed by a key the issuer never published, under the current (published) `kid`. */
  foreignKey(options?: TokenOptions): string;
}

const UNKNOWN_CRIT = 'urn:portvakt:test:unknown';
const FIVE_MINUTES = 300;

export function createForge(ctx: ForgeContext): TokenForge {
  const signWith = (key: SigningKey, header: object, payload: object) => {
    const input = `${encodeSegment(header)}.${encodeSegment(payload)}`;
    return `${input}.${signRs256(input, key.privateKey)}`;
  };
  const signRaw = (headerSegment: string, payloadSegment: string) => {
    const input = `${headerSegment}.${payloadSegment}`;
    return `${input}.${signRs256(input, ctx.currentKey().privateKey)}`;
  };
  const valid = (options?: TokenOptions) => {
    const { header, payload } = ctx.parts(options);
    return signWith(ctx.currentKey(), header, payload);
  };
  const withHeader = (extra: Record<string, unknown>, options?: TokenOptions) => {
    const { header, payload } = ctx.parts(options);
    return signWith(ctx.currentKey(), { ...header, ...extra }, payload);
  };
  const segments = (token: string) => token.split('.') as [string, string, string];

  return {
    expired: (options) =>
      valid({ ...options, issuedAt: nowSeconds() - 2 * FIVE_MINUTES, expiresInSeconds: FIVE_MINUTES }),
    notYetValid: (options) => valid({ ...options, notBefore: nowSeconds() + FIVE_MINUTES }),
    issuedInFuture: (options) => valid({ ...options, issuedAt: nowSeconds() + FIVE_MINUTES }),
    algNone(options) {
      const { header, payload } = ctx.parts(options);
      return `${encodeSegment({ ...header, alg: 'none' })}.${encodeSegment(payload)}.`;
    },
    hs256WithPublicKey(options) {
      const { header, payload } = ctx.parts(options);
      const input = `${encodeSegment({ ...header, alg: 'HS256' })}.${encodeSegment(payload)}`;
      const secret = ctx.currentKey().publicKey.export({ type: 'spki', format: 'pem' });
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    },
    keyInHeader(param, options) {
      const foreign = ctx.foreignKey();
      const values: Record<HeaderKeyParameter, unknown> = {
        jwk: { kty: 'RSA', n: foreign.jwk.n, e: foreign.jwk.e },
        jku: 'https://attacker.invalid/jwks.json',
        x5u: 'https://attacker.invalid/cert.pem',
        x5c: [foreign.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')],
      };
      return withHeader({ [param]: values[param] }, options);
    },
    unknownCrit: (options) => withHeader({ crit: [UNKNOWN_CRIT], [UNKNOWN_CRIT]: true }, options),
    unknownKid: (options) => withHeader({ kid: 'not-in-jwks' }, options),
    pathTraversalKid: (options) => withHeader({ kid: '../../etc/passwd' }, options),
    es256ZeroSignature(options) {
      const { header, payload } = ctx.parts(options);
      const zeros = Buffer.alloc(64).toString('base64url');
      return `${encodeSegment({ ...header, alg: 'ES256' })}.${encodeSegment(payload)}.${zeros}`;
    },
    strippedSignature(options) {
      const [header, payload] = segments(valid(options));
      return `${header}.${payload}.`;
    },
    tamperedSignature(options) {
      const [header, payload, signature] = segments(valid(options));
      // Flip a bit in the decoded bytes: editing a base64url character can land in padding bits and change nothing.
      const bytes = Buffer.from(signature, 'base64url');
      bytes[0] = bytes[0]! ^ 0x01;
      return `${header}.${payload}.${bytes.toString('base64url')}`;
    },
    tamperedPayload(options, changes) {
      const { header, payload } = ctx.parts(options);
      const [, , signature] = segments(signWith(ctx.currentKey(), header, payload));
      const altered = { ...payload, ...(changes ?? { exp: Number(payload.exp) + 3600 }) };
      return `${encodeSegment(header)}.${encodeSegment(altered)}.${signature}`;
    },
    headerNotJson(options) {
      const { payload } = ctx.parts(options);
      return signRaw(Buffer.from('{"alg":"RS256",').toString('base64url'), encodeSegment(payload));
    },
    payloadNotJson(options) {
      const { header } = ctx.parts(options);
      return signRaw(encodeSegment(header), Buffer.from('not json').toString('base64url'));
    },
    foreignKey(options) {
      const { header, payload } = ctx.parts(options);
      return signWith(ctx.foreignKey(), header, payload);
    },
  };
}
