import express, { type Request, type RequestHandler } from 'express';
import type { PortvaktContext } from '../context.js';
import { checkAuthorizeOptions } from '../options.js';
import type { AuthorizeRequestSync, Operation } from '../pipeline.js';
import type { TokenClaims } from '../token/verify.js';

declare global {
  namespace Express {
    interface Request {
      /** Set by `portvakt.authorize()` on a permitted request: who asks, for whom, and how it was decided. */
      portvakt: PortvaktContext;
    }
  }
}

export interface AuthorizeOptions extends Operation {
  /** Where the party is in the request. Default: `req.params.party`. */
  party?: (req: Request) => string | undefined;
  /** Extra parameter checks after the party and before the PDP; throw a PortvaktError (e.g. `periodInvalid`). */
  validate?: (req: Request) => void;
}

/**
 * `req.portvakt` is an accessor on `express.request` (the prototype of every app's `req`) over a WeakMap.
 * Adding an own property to a Node request object costs more than the rest of a cached authorization
 * (8–12 % of a bare Express request on Node 20, counted with callgrind, mostly in the garbage
 * collector: Node's request objects never share a hidden class, so each addition builds a new one); a
 * WeakMap entry costs about 1 %. With another copy of Express the assignment simply
 * makes an own property, as before.
 */
const contexts = new WeakMap<object, PortvaktContext>();
Object.defineProperty(express.request, 'portvakt', {
  configurable: true,
  enumerable: false,
  get(this: object) {
    return contexts.get(this);
  },
  set(this: object, context: PortvaktContext) {
    contexts.set(this, context);
  },
});

const partyParam = (req: Request) => req.params.party;

/** express-jwt leaves verified claims on `req.auth`; use them rather than verifying the token twice. */
function verifiedClaimsOf(req: Request): TokenClaims | undefined {
  const auth = (req as { auth?: unknown }).auth;
  return typeof auth === 'object' && auth !== null && !Array.isArray(auth) ? (auth as TokenClaims) : undefined;
}

/**
 * Node keeps only the first of repeated Authorization lines (RFC 9110 §5.3 allows one), so a proxy in front
 * that reads another copy would see a different caller. Joined like a list, a repeat never reads as one token.
 * Read from `rawHeaders` alone: one pass, and no second property lookup on `req` (each costs on a hot path,
 * since Node's request objects never share a hidden class).
 */
function authorizationOf(req: Request): string | undefined {
  const raw = req.rawHeaders;
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (isAuthorization(raw[i]!)) value = value === undefined ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`;
  }
  return value;
}

/** Case-insensitive, without making a lower-case copy of the usual spellings on every request. */
const isAuthorization = (name: string) =>
  name.length === 13 &&
  (name === 'authorization' || name === 'Authorization' || name.toLowerCase() === 'authorization');

/** The thin Express adapter: maps `req` to the pipeline's request shape, sets `req.portvakt`, only ever calls `next`. */
export function createAuthorizeMiddleware(
  authorizeRequest: AuthorizeRequestSync,
  options: AuthorizeOptions,
): RequestHandler {
  checkAuthorizeOptions(options);
  const operation: Operation = { scope: options.scope, resource: options.resource, action: options.action };
  const partyOf = options.party ?? partyParam;
  const validate = options.validate;
  return (req, _res, next) => {
    let result: PortvaktContext | Promise<PortvaktContext>;
    try {
      result = authorizeRequest(
        {
          authorization: authorizationOf(req),
          verifiedClaims: verifiedClaimsOf(req),
          party: partyOf(req),
          validate: validate && (() => validate(req)),
        },
        operation,
      );
    } catch (err) {
      return next(err);
    }
    // Both caches answered: go on in this tick. Otherwise when the token or the PDP has answered.
    if (result instanceof Promise) {
      result.then((context) => {
        req.portvakt = context;
        next();
      }, next);
    } else {
      req.portvakt = result;
      next();
    }
  };
}
