import { BodyTooLargeError, readBoundedText } from '../bounded-body.js';
import type { DecisionQuery } from '../context.js';
import { isPortvaktError, pdpUnavailable } from '../errors.js';
import { buildPdpRequest } from './request.js';
import { type Decision, readDecision } from './response.js';

/** One decision from the PDP; `signal` abandons it (the client's own deadline applies as well). */
export type Decide = (query: DecisionQuery, signal?: AbortSignal) => Promise<Decision>;

/** How one PDP call ended: a decision either way, or an error (timeout, HTTP error, unreadable, Indeterminate). */
export type PdpCallOutcome = 'permit' | 'deny' | 'error';

/** Largest PDP answer read: a decision is a few hundred bytes, so 1 MiB is generous and still bounded. */
export const DEFAULT_PDP_MAX_ANSWER_BYTES = 1024 * 1024;

export interface PdpClientOptions {
  /** Full URL of the PDP, e.g. `https://platform.tt02.altinn.no/authorization/api/v1/authorize`. */
  url: string;
  /** Sent as `Ocp-Apim-Subscription-Key` on every call when set; no such header otherwise. */
  subscriptionKey?: string;
  /**
   * Deadline of one decision in milliseconds, covering the PEP token, the response headers and the body.
   * Required: a PDP that hangs must not hold a request past it.
   */
  timeoutMs: number;
  /** The PEP's own Altinn token, sent as `Authorization: Bearer`; without it no Authorization header is sent. */
  accessToken?: () => Promise<string>;
  /** Largest answer body read, in bytes; a larger one is `pdp_unavailable`. Default 1 MiB. */
  maxAnswerBytes?: number;
  /** Defaults to the global `fetch`; for tests and custom agents. */
  fetch?: typeof fetch;
  /** Called once per call with its outcome and duration in milliseconds, for metrics and logs; must not throw. */
  onCall?: (outcome: PdpCallOutcome, ms: number) => void;
}

/** A client for Altinn Authorization's PDP: the `decide` function. Every failure is `pdp_unavailable`, never a decision. */
export function createPdpClient(options: PdpClientOptions): Decide {
  // Options arrive parsed (createPortvakt's schema checked the URL and the deadline).
  const { url, timeoutMs, subscriptionKey, accessToken, onCall } = options;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_PDP_MAX_ANSWER_BYTES;

  async function call(query: DecisionQuery, signal: AbortSignal, deadline: AbortSignal): Promise<Decision> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (subscriptionKey) headers['Ocp-Apim-Subscription-Key'] = subscriptionKey;
    if (accessToken) headers.authorization = `Bearer ${await pepToken(accessToken, signal, deadline)}`;

    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(buildPdpRequest(query)),
        // A redirect could carry our subscription key and token elsewhere; the PDP has no reason to send one.
        redirect: 'manual',
        signal,
      });
    } catch (err) {
      throw transportFailure(err, signal, deadline);
    }
    if (!response.ok) {
      // Free the connection; the body of an error answer is of no use, and a failure to discard it changes nothing.
      await response.body?.cancel().catch(() => undefined);
      throw pdpUnavailable(`Altinn Authorization answered HTTP ${response.status}.`);
    }
    let text: string;
    try {
      // Read within the same deadline as the headers: a PDP that trickles its body cannot outlast it.
      text = await readBoundedText(response, maxAnswerBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        throw pdpUnavailable(`Altinn Authorization's answer was larger than ${maxAnswerBytes} bytes.`, err);
      }
      throw transportFailure(err, signal, deadline);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw pdpUnavailable("Altinn Authorization's answer was not JSON.", err);
    }
    return readDecision(body);
  }

  function transportFailure(err: unknown, signal: AbortSignal, deadline: AbortSignal) {
    if (deadline.aborted) return pdpUnavailable(`Altinn Authorization did not answer within ${timeoutMs} ms.`, err);
    if (signal.aborted) return pdpUnavailable('The call to Altinn Authorization was abandoned.', err);
    return pdpUnavailable('Altinn Authorization could not be reached.', err);
  }

  async function pepToken(provider: () => Promise<string>, signal: AbortSignal, deadline: AbortSignal) {
    let token: unknown;
    try {
      // The renewal is shared with other calls, so it is not aborted; this call merely stops waiting for it.
      token = await untilAborted(provider(), signal);
    } catch (err) {
      if (signal.aborted) throw transportFailure(err, signal, deadline);
      if (isPortvaktError(err) && err.code === 'pdp_unavailable') throw err;
      throw pdpUnavailable("The gateway's own Altinn token could not be obtained.", err);
    }
    // Printable ASCII only: anything else would break, or smuggle, a header.
    if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token)) {
      throw pdpUnavailable("The gateway's own Altinn token is not usable.");
    }
    return token;
  }

  return async (query, callerSignal) => {
    const started = performance.now();
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = callerSignal ? AbortSignal.any([deadline, callerSignal]) : deadline;
    let decision: Decision;
    try {
      decision = await call(query, signal, deadline);
    } catch (err) {
      onCall?.('error', performance.now() - started);
      throw err;
    }
    onCall?.(decision.permit ? 'permit' : 'deny', performance.now() - started);
    return decision;
  };
}

/** Settles as `promise` does, or rejects with the signal's reason as soon as it aborts (the promise stays observed). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
