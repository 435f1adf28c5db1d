import type { Request, RequestHandler } from 'express';
import type { PortvaktContext } from '../context.js';
import { checkAuthorizeOptions } from '../options.js';
import type { Operation, Pipeline } from '../pipeline.js';
import type { TokenClaims } from '../token/verify.js';

// Types only (nothing is added to Express at run time): `req.portvakt` exists where `authorize` ran and permitted.
declare global {
  namespace Express {
    interface Request {
      /** Set by `portvakt.authorize()` on a permitted request: who asks, for whom, and how it was decided. */
      portvakt?: PortvaktContext;
    }
  }
}

export interface AuthorizeOptions extends Operation {
  /**
   * Where the party is in the request. Default: `req.params.party`. Whatever it returns is validated as an
   * organization number (a list, as Express 5 may give for a wildcard, is refused with `party_invalid`).
   */
  party?: (req: Request) => string | string[] | undefined;
  /** Extra parameter checks after the party and before the PDP; throw a PortvaktError (e.g. `periodInvalid`). */
  validate?: (req: Request) => void;
}

const partyParam = (req: Request) => req.params.party;

/**
 * express-jwt leaves verified claims on `req.auth`; use them rather than verifying the token twice. Only an own
 * property counts (one set on this request); asking with `Object.hasOwn` also spares every request without it
 * a miss through the request's whole prototype chain (about 2 % of the hot path in `npm run bench`).
 */
function verifiedClaimsOf(req: Request): TokenClaims | undefined {
  if (!Object.hasOwn(req, 'auth')) return undefined;
  const auth = (req as { auth?: unknown }).auth;
  return typeof auth === 'object' && auth !== null && !Array.isArray(auth) ? (auth as TokenClaims) : undefined;
}

/**
 * Node keeps only the first of repeated Authorization lines (RFC 9110 §5.3 allows one), so a proxy in front
 * that reads another copy would see a different caller. Joined like a list, a repeat never reads as one token.
 */
function authorizationOf(req: Request): string | undefined {
  const raw = req.rawHeaders;
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 13 && raw[i]!.toLowerCase() === 'authorization') {
      value = value === undefined ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`;
    }
  }
  return value;
}

/**
 * The thin Express adapter (4 and 5): maps `req` to the pipeline's request shape, sets `req.portvakt` on the
 * request it is given, and only ever calls `next`.
 */
export function createAuthorizeMiddleware(pipeline: Pipeline, options: AuthorizeOptions): RequestHandler {
  checkAuthorizeOptions(options);
  const operation: Operation = { scope: options.scope, resource: options.resource, action: options.action };
  const partyOf = options.party ?? partyParam;
  const validate = options.validate;
  return (req, _res, next) => {
    let result: PortvaktContext | Promise<PortvaktContext>;
    try {
      result = pipeline(
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
