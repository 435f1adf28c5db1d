import type { DecisionQuery } from '../../src/context.js';

export const QUERY: DecisionQuery = {
  systemUserId: 'a6355a68-86b8-4344-8a81-0248cb461468',
  resource: 'ske-krav-og-betalinger',
  action: 'read',
  party: '310478717',
};

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(
  promise: Promise<unknown>,
): Promise<{ code?: string; detail?: string; cause?: unknown }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error('expected a rejection');
}

/** Settles as `promise` does, or rejects when it has not settled after `ms` (a bound, not a timing assertion). */
export function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/** A promise with its resolve and reject exposed. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
