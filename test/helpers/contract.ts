import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
// ajv-formats is CommonJS with a default export; under NodeNext its callable is on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv2020,
) => void;

/** The part of an HTTP response the contract speaks about (a supertest response fits). */
export interface ContractResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body text (undefined for HEAD or a binary body). */
  text?: string | undefined;
}

export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

/**
 * Responses a path or method in the document need not list: 404 for a path it does not have and 405
 * for a method a path does not offer (info.description says so), and what any request may meet
 * before routing or through a bug: 413 (body over 1 MiB) and 500.
 */
const GLOBAL_RESPONSES: Record<string, string> = {
  '404': 'NotFound',
  '405': 'MethodNotAllowed',
  '413': 'PayloadTooLarge',
  '500': 'InternalError',
};

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const mediaTypeOf = (value: string | undefined) => value?.split(';')[0]?.trim().toLowerCase();
const isJsonMediaType = (type: string) => type === 'application/json' || type.endsWith('+json');

interface Located {
  node: Json;
  pointer: string;
}

/**
 * Validates responses against openapi.yaml: the status is documented for the path and method (or
 * is a global one), the content type is one the response documents, every header marked
 * `required: true` is present and matches its schema, and a JSON body matches the schema (ajv,
 * JSON Schema 2020-12 as OpenAPI 3.1 uses it, with formats).
 */
export function createContract(specFile: string | URL) {
  const document = parse(readFileSync(specFile, 'utf8')) as Json;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // OpenAPI keywords JSON Schema does not know (`example` is deprecated but allowed in 3.1).
  ajv.addKeyword('example');
  ajv.addSchema(document, 'openapi');
  const compiled = new Map<string, ValidateFunction>();
  const validatorAt = (pointer: string) => {
    let validate = compiled.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `openapi#${pointer}` });
      compiled.set(pointer, validate);
    }
    return validate;
  };

  const at = (pointer: string): unknown =>
    pointer
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), document);

  /** Follows `$ref`s (local ones) and keeps the JSON pointer of where the node really is. */
  const resolve = (node: unknown, pointer: string): Located => {
    let current = node;
    let where = pointer;
    for (let i = 0; i < 10 && isObject(current) && typeof current.$ref === 'string'; i++) {
      where = current.$ref.replace(/^#/, '');
      current = at(where);
    }
    if (!isObject(current)) throw new ContractViolation(`openapi.yaml: nothing at ${where}`);
    return { node: current, pointer: where };
  };

  const paths = isObject(document.paths) ? document.paths : {};
  const templates = Object.keys(paths).map((template) => {
    const names: string[] = [];
    const source = template
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const name = /^\{([^}]+)\}$/.exec(part)?.[1];
        if (!name) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(name);
        return '[^/]+';
      })
      .join('');
    return { template, regex: new RegExp(`^${source}/?$`), params: names.length };
  });

  /** The path template a request path belongs to; literal paths win over templated ones. */
  const templateOf = (path: string) =>
    templates.filter((t) => t.regex.test(path)).sort((a, b) => a.params - b.params)[0]?.template;

  function responseFor(method: string, path: string, status: number): Located & { where: string } {
    const template = templateOf(path);
    const globalName = GLOBAL_RESPONSES[String(status)];
    const global = () => {
      if (!globalName) return undefined;
      const pointer = `/components/responses/${globalName}`;
      return { ...resolve(at(pointer), pointer), where: `global ${globalName}` };
    };
    if (!template) {
      if (status !== 404 && status !== 413 && status !== 500) {
        throw new ContractViolation(
          `${method} ${path}: no such path in openapi.yaml, so only 404 is expected, got ${status}`,
        );
      }
      return global()!;
    }
    const item = resolve(paths[template], `/paths/${escapePointer(template)}`);
    // HEAD is answered as GET without a body.
    const lower = method.toLowerCase() === 'head' && !isObject(item.node.head) ? 'get' : method.toLowerCase();
    if (!isObject(item.node[lower])) {
      if (status !== 405 && status !== 413 && status !== 500) {
        throw new ContractViolation(`${method} ${template}: not offered, so only 405 is expected, got ${status}`);
      }
      return global()!;
    }
    const responsesPointer = `${item.pointer}/${lower}/responses`;
    const responses = resolve(at(responsesPointer), responsesPointer).node;
    const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
    if (key !== undefined) {
      const pointer = `${responsesPointer}/${key}`;
      return { ...resolve(responses[key], pointer), where: `${method} ${template} ${key}` };
    }
    if (status === 413 || status === 500) return global()!;
    throw new ContractViolation(`${method} ${template}: status ${status} is not documented`);
  }

  function checkHeaders(response: Located & { where: string }, res: ContractResponse, problems: string[]) {
    const headers = isObject(response.node.headers) ? response.node.headers : {};
    for (const [name, value] of Object.entries(headers)) {
      const pointer = `${response.pointer}/headers/${escapePointer(name)}`;
      const header = resolve(value, pointer);
      const actual = res.headers[name.toLowerCase()];
      if (actual === undefined) {
        if (header.node.required === true) problems.push(`header ${name} is required`);
        continue;
      }
      if (!isObject(header.node.schema)) continue;
      const schema = resolve(header.node.schema, `${header.pointer}/schema`);
      const text = Array.isArray(actual) ? actual.join(', ') : actual;
      const type = schema.node.type;
      const typed = (type === 'integer' || type === 'number') && /^-?[0-9.]+$/.test(text) ? Number(text) : text;
      const validate = validatorAt(schema.pointer);
      if (!validate(typed)) problems.push(`header ${name}: ${ajv.errorsText(validate.errors)}`);
    }
  }

  function checkBody(response: Located & { where: string }, method: string, res: ContractResponse, problems: string[]) {
    const content = isObject(response.node.content) ? response.node.content : undefined;
    const mediaType = mediaTypeOf(res.headers['content-type'] as string | undefined);
    if (!content) {
      if (res.text) problems.push('a body where the response documents none');
      return;
    }
    if (!mediaType) {
      problems.push('no Content-Type');
      return;
    }
    if (!(mediaType in content)) {
      problems.push(`Content-Type ${mediaType} is not one of ${Object.keys(content).join(', ')}`);
      return;
    }
    if (method.toUpperCase() === 'HEAD' || !isJsonMediaType(mediaType)) return;
    const media = content[mediaType];
    if (!isObject(media) || media.schema === undefined) return;
    let body: unknown;
    try {
      body = JSON.parse(res.text ?? '');
    } catch {
      problems.push(`the ${mediaType} body is not JSON`);
      return;
    }
    const pointer = `${response.pointer}/content/${escapePointer(mediaType)}/schema`;
    const schema = resolve(media.schema, pointer);
    const validate = validatorAt(schema.pointer);
    if (!validate(body)) problems.push(`body: ${ajv.errorsText(validate.errors)}`);
  }

  return {
    document,
    /** Throws a ContractViolation naming every way the response departs from openapi.yaml. */
    check(method: string, url: string, res: ContractResponse): void {
      const path = new URL(url, 'http://contract.invalid').pathname;
      const response = responseFor(method.toUpperCase(), path, res.status);
      const problems: string[] = [];
      checkHeaders(response, res, problems);
      checkBody(response, method, res, problems);
      if (problems.length > 0) {
        throw new ContractViolation(
          `${method.toUpperCase()} ${path} → ${res.status} breaks openapi.yaml (${response.where}): ${problems.join('; ')}`,
        );
      }
    },
  };
}

export type Contract = ReturnType<typeof createContract>;
