import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { at, escapePointer, isObject, type Json, resolve } from './document.js';

// ajv-formats is CommonJS with a default export; under NodeNext its callable is on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv2020,
) => void;

/** The part of an HTTP response the document speaks about (a supertest or fetch-derived response fits). */
export interface ResponseUnderTest {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string | string[] | undefined>;
  /** The raw body text (undefined for HEAD or a binary body). */
  text?: string | undefined;
}

export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

export interface ResponseValidatorOptions {
  /** How messages name the document. Default `'the OpenAPI document'`. */
  name?: string;
  /**
   * Statuses any path or method may answer though the operation does not list them, mapped to the
   * `components.responses` entry that describes them (e.g. `{ '404': 'NotFound' }`). Default none.
   * A 404 off the document's paths and a 405 for a method a path lacks are accepted only when listed.
   */
  globalResponses?: Record<string, string>;
}

interface Located {
  node: Json;
  pointer: string;
  where: string;
}

const mediaTypeOf = (value: string | undefined) => value?.split(';')[0]?.trim().toLowerCase();
const isJsonMediaType = (type: string) => type === 'application/json' || type.endsWith('+json');
const headerText = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : value);

/**
 * Validates responses against an OpenAPI 3.x document: the status is documented for the path and
 * method (or is a global one), the content type is one the response documents, every header marked
 * `required: true` is present and matches its schema, and a JSON body matches the schema (ajv, JSON
 * Schema 2020-12 as OpenAPI 3.1 uses it, with formats).
 */
export function createResponseValidator(document: Json, options: ResponseValidatorOptions = {}) {
  const name = options.name ?? 'the OpenAPI document';
  const globals = options.globalResponses ?? {};
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
  const located = (node: unknown, pointer: string) => {
    const found = resolve(document, node, pointer);
    if (!found) throw new ContractViolation(`${name}: nothing at ${pointer}`);
    return found;
  };

  const paths = isObject(document.paths) ? document.paths : {};
  const templates = Object.keys(paths).map((template) => {
    const names: string[] = [];
    const source = template
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const param = /^\{([^}]+)\}$/.exec(part)?.[1];
        if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(param);
        return '[^/]+';
      })
      .join('');
    return { template, regex: new RegExp(`^${source}/?$`), params: names.length };
  });

  /** The path template a request path belongs to; literal paths win over templated ones. */
  const templateOf = (path: string) =>
    templates.filter((t) => t.regex.test(path)).sort((a, b) => a.params - b.params)[0]?.template;

  function global(status: number): Located | undefined {
    const component = globals[String(status)];
    if (!component) return undefined;
    const pointer = `/components/responses/${escapePointer(component)}`;
    return { ...located(at(document, pointer), pointer), where: `global ${component}` };
  }

  function responseFor(method: string, path: string, status: number): Located {
    const template = templateOf(path);
    if (!template) {
      const found = status === 404 || status === 413 || status === 500 ? global(status) : undefined;
      if (!found) {
        throw new ContractViolation(
          `${method} ${path}: no such path in ${name}, so only 404 is expected, got ${status}`,
        );
      }
      return found;
    }
    const item = located(paths[template], `/paths/${escapePointer(template)}`);
    // HEAD is answered as GET without a body.
    const lower = method.toLowerCase() === 'head' && !isObject(item.node.head) ? 'get' : method.toLowerCase();
    if (!isObject(item.node[lower])) {
      const found = status === 405 || status === 413 || status === 500 ? global(status) : undefined;
      if (!found)
        throw new ContractViolation(`${method} ${template}: not offered, so only 405 is expected, got ${status}`);
      return found;
    }
    const responsesPointer = `${item.pointer}/${lower}/responses`;
    const responses = located(at(document, responsesPointer), responsesPointer).node;
    const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
    if (key !== undefined) {
      const pointer = `${responsesPointer}/${key}`;
      return { ...located(responses[key], pointer), where: `${method} ${template} ${key}` };
    }
    // Only the statuses any request may meet (413, 500) fall back to a global; a 404 or 405 on an
    // offered operation must be documented by it.
    const found = status === 413 || status === 500 ? global(status) : undefined;
    if (!found) throw new ContractViolation(`${method} ${template}: status ${status} is not documented`);
    return found;
  }

  function checkHeaders(response: Located, res: ResponseUnderTest, problems: string[], requireAll = false) {
    const headers = isObject(response.node.headers) ? response.node.headers : {};
    for (const [header, value] of Object.entries(headers)) {
      const declared = located(value, `${response.pointer}/headers/${escapePointer(header)}`);
      const text = headerText(res.headers[header.toLowerCase()]);
      if (text === undefined) {
        if (declared.node.required === true) problems.push(`header ${header} is required`);
        else if (requireAll) problems.push(`the documented header ${header} is missing`);
        continue;
      }
      if (!isObject(declared.node.schema)) continue;
      const schema = located(declared.node.schema, `${declared.pointer}/schema`);
      const type = schema.node.type;
      const typed = (type === 'integer' || type === 'number') && /^-?[0-9.]+$/.test(text) ? Number(text) : text;
      const validate = validatorAt(schema.pointer);
      if (!validate(typed)) problems.push(`header ${header}: ${ajv.errorsText(validate.errors)}`);
    }
  }

  function checkBody(response: Located, method: string, res: ResponseUnderTest, problems: string[]) {
    const content = isObject(response.node.content) ? response.node.content : undefined;
    const mediaType = mediaTypeOf(headerText(res.headers['content-type']));
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
    const schema = located(media.schema, `${response.pointer}/content/${escapePointer(mediaType)}/schema`);
    const validate = validatorAt(schema.pointer);
    if (!validate(body)) problems.push(`body: ${ajv.errorsText(validate.errors)}`);
  }

  /**
   * Every way the response departs from the document (empty when it conforms). `requireAllHeaders`: every
   * header the response documents must be present, not only those marked `required`.
   */
  function problemsOf(
    method: string,
    url: string,
    res: ResponseUnderTest,
    checks: { requireAllHeaders?: boolean } = {},
  ): { where: string; problems: string[] } {
    const path = new URL(url, 'http://contract.invalid').pathname;
    let response: Located;
    try {
      response = responseFor(method.toUpperCase(), path, res.status);
    } catch (err) {
      if (!(err instanceof ContractViolation)) throw err;
      return { where: `${method.toUpperCase()} ${path}`, problems: [err.message] };
    }
    const problems: string[] = [];
    checkHeaders(response, res, problems, checks.requireAllHeaders);
    checkBody(response, method, res, problems);
    return { where: response.where, problems };
  }

  return {
    document,
    problems: problemsOf,
    /** Throws a ContractViolation naming every way the response departs from the document. */
    check(method: string, url: string, res: ResponseUnderTest): void {
      const path = new URL(url, 'http://contract.invalid').pathname;
      const response = responseFor(method.toUpperCase(), path, res.status);
      const problems: string[] = [];
      checkHeaders(response, res, problems);
      checkBody(response, method, res, problems);
      if (problems.length > 0) {
        throw new ContractViolation(
          `${method.toUpperCase()} ${path} → ${res.status} breaks ${name} (${response.where}): ${problems.join('; ')}`,
        );
      }
    },
  };
}

export type ResponseValidator = ReturnType<typeof createResponseValidator>;
