/** True when the space-separated `scope` claim holds `required` as a whole word (RFC 6749 §3.3). */
export function hasScope(scopeClaim: unknown, required: string): boolean {
  return typeof scopeClaim === 'string' && scopeClaim.split(' ').includes(required);
}

export function scopesOf(scopeClaim: unknown): string[] {
  return typeof scopeClaim === 'string' ? scopeClaim.split(' ').filter((s) => s !== '') : [];
}
