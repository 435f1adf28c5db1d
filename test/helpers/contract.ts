import { loadDocumentFile } from '../../src/contract/document.js';
import { ContractViolation, createResponseValidator, type ResponseUnderTest } from '../../src/contract/validator.js';

export { ContractViolation };
/** The part of an HTTP response the contract speaks about (a supertest response fits). */
export type ContractResponse = ResponseUnderTest;

/**
 * Responses a path or method in openapi.yaml need not list: 404 for a path it does not have and 405
 * for a method a path does not offer (info.description says so), and what any request may meet
 * before routing or through a bug: 413 (body over 1 MiB) and 500.
 */
const GLOBAL_RESPONSES: Record<string, string> = {
  '404': 'NotFound',
  '405': 'MethodNotAllowed',
  '413': 'PayloadTooLarge',
  '500': 'InternalError',
};

/** Validates the gateway's responses against openapi.yaml (the validator `portvakt contract-test` uses). */
export function createContract(specFile: string | URL) {
  return createResponseValidator(loadDocumentFile(specFile), {
    name: 'openapi.yaml',
    globalResponses: GLOBAL_RESPONSES,
  });
}

export type Contract = ReturnType<typeof createContract>;
