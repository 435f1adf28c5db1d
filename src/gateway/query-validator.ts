import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { httpProblem } from '../problem.js';
import type { QueryParameter } from './openapi.js';

// One Ajv for the process: schemas are compiled once, at start, per operation.
const ajv = new Ajv({ allErrors: false, coerceTypes: true, strict: false });
(addFormats as unknown as (ajv: Ajv) => Ajv)(ajv);

const requestInvalid = (detail: string) => httpProblem('request_invalid', detail);

/**
 * Validates a request's query against the operation's parameters in openapi.yaml, so a proxied
 * operation needs no code to refuse bad input before the PDP is asked. One value per parameter:
 * a repeated parameter is refused. The detail names the parameter, never echoes its value.
 */
export function createQueryValidator(
  parameters: QueryParameter[],
): ((query: Record<string, unknown>) => void) | undefined {
  if (parameters.length === 0) return undefined;
  // Each value is checked inside a holder object: coercion (e.g. "5" → 5) then rewrites the holder, never the request.
  const checks = parameters.map((p) => ({
    ...p,
    validate: ajv.compile({ type: 'object', properties: { value: p.schema }, required: ['value'] }),
  }));
  return (query) => {
    for (const { name, required, validate } of checks) {
      const value = query[name];
      if (value === undefined) {
        if (required) throw requestInvalid(`The query parameter "${name}" is required.`);
        continue;
      }
      if (typeof value !== 'string') throw requestInvalid(`The query parameter "${name}" must be given once.`);
      if (!validate({ value })) throw requestInvalid(`The query parameter "${name}" is not valid here.`);
    }
  };
}
