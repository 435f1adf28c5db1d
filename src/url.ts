/** The one URL check: `value` parses as an absolute URL whose scheme is one of `protocols` (e.g. `['https:']`). */
export function isUrl(value: string, protocols: readonly string[]): boolean {
  return URL.canParse(value) && protocols.includes(new URL(value).protocol);
}

export const HTTP_PROTOCOLS = ['http:', 'https:'] as const;
export const REDIS_PROTOCOLS = ['redis:', 'rediss:'] as const;
export const POSTGRES_PROTOCOLS = ['postgres:', 'postgresql:'] as const;
