/** The space-separated `scope` claim as a list of scopes (RFC 6749 §3.3). */
export function scopesOf(scopeClaim: unknown): string[] {
  return typeof scopeClaim === 'string' ? scopeClaim.split(' ').filter((s) => s !== '') : [];
}

// A cached token's claims are one frozen object shared by every request that presents it: split its
// scope once. The list is frozen too; callers that hand it out give a copy.
const splitOnce = new WeakMap<object, readonly string[]>();

/** The claims' scopes, read once per frozen (cached) claims object. */
export function scopesOfClaims(claims: Record<string, unknown>): readonly string[] {
  if (!Object.isFrozen(claims)) return scopesOf(claims.scope);
  let scopes = splitOnce.get(claims);
  if (scopes === undefined) {
    scopes = Object.freeze(scopesOf(claims.scope));
    splitOnce.set(claims, scopes);
  }
  return scopes;
}
