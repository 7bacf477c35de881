/**
 * Checking the app against its OpenAPI document (src/http/openApi.ts): a handler's response against the
 * operation it answers (status documented, content type, headers, body valid against the schema), a
 * request body against the operation's, and the document's routes against the functions the app
 * registers. Schemas are compiled once with ajv's JSON Schema 2020-12 validator in strict mode, formats
 * checked (ajv-formats), so a schema with an unknown keyword or a `$ref` that leads nowhere fails at once.
 *
 * Use: `const body = await expectDocumented("GET", "/api/jobs/{job}/runs", await handler(request, client, context))`.
 */
import { HttpResponse, type HttpResponseInit } from "@azure/functions";
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { expect } from "vitest";
import type { CapturedFunction } from "../../dev/durable-host";
import {
  HTTP_METHODS,
  OPEN_API_DOCUMENT,
  type HttpMethod,
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiHeader,
  type OpenApiOperation,
  type OpenApiReference,
  type OpenApiResponse,
} from "../../src/http/openApi";

/** Where the document's component schemas are registered with ajv (never fetched). */
const SCHEMAS_ID = "https://aci-jobs.invalid/openapi.json";

/** A strict ajv for the document's schemas: unknown keywords, missing types and unlisted required properties are errors. */
export function strictAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, strictRequired: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  return ajv;
}

/** `schema` with every `#/components/schemas/X` made absolute, so it resolves against {@link SCHEMAS_ID}. */
function absolute<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(absolute) as T;
  if (typeof schema !== "object" || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === "$ref" && typeof value === "string" && value.startsWith("#/components/schemas/")
        ? `${SCHEMAS_ID}#/$defs/${value.slice("#/components/schemas/".length)}`
        : absolute(value),
    ]),
  ) as T;
}

/** An ajv that knows `document`'s component schemas, and a compiler for the schemas that use them. */
export function schemaCompiler(document: OpenApiDocument = OPEN_API_DOCUMENT): (schema: JsonSchema) => ValidateFunction {
  const ajv = strictAjv();
  ajv.addSchema({ $id: SCHEMAS_ID, $defs: absolute(document.components.schemas) });
  const compiled = new Map<JsonSchema, ValidateFunction>();
  return (schema) => {
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile(absolute(schema));
      compiled.set(schema, validate);
    }
    return validate;
  };
}

const compile = schemaCompiler();

/** The object a `$ref` of the document points at (`#/components/…`). */
export function resolve<T>(item: T | OpenApiReference, document: OpenApiDocument = OPEN_API_DOCUMENT): T {
  if (typeof item !== "object" || item === null || !("$ref" in item)) return item as T;
  const path = item.$ref.replace(/^#\//u, "").split("/");
  let found: unknown = document;
  for (const part of path) found = (found as Record<string, unknown> | undefined)?.[part.replace(/~1/gu, "/").replace(/~0/gu, "~")];
  if (found === undefined) throw new Error(`${item.$ref} leads nowhere in the OpenAPI document`);
  return resolve(found as T | OpenApiReference, document);
}

/** The documented operation, or a failed expectation naming what is missing. */
export function operation(method: string, route: string): OpenApiOperation {
  const item = OPEN_API_DOCUMENT.paths[route];
  expect(item, `${route} is not a path of the OpenAPI document`).toBeDefined();
  const found = item![method.toLowerCase() as HttpMethod];
  expect(found, `${method.toUpperCase()} ${route} is not an operation of the OpenAPI document`).toBeDefined();
  return found!;
}

/** `type/subtype` and its parameters, lower-cased and without spaces, from a Content-Type value. */
function mediaType(value: string): { essence: string; charset?: string } {
  const [essence = "", ...parameters] = value.toLowerCase().split(";").map((part) => part.trim());
  const charset = parameters.find((p) => p.startsWith("charset="))?.slice("charset=".length).replace(/"/gu, "");
  return charset ? { essence, charset } : { essence };
}

const isJson = (essence: string) => essence === "application/json" || essence.endsWith("+json");

function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`).join("; ");
}

/** Every (METHOD route status) a check has seen in this process, for a coverage summary. */
export const seenResponses = new Set<string>();

/**
 * Checks a handler's response against the document: its status is one the operation lists, its content
 * type is one the status lists (a body only where the status has content), every required documented
 * header is there and every header it sends besides Content-Type is documented, and the body is valid
 * against the documented schema (JSON bodies parsed; text bodies as a string). The response is
 * read as the Functions worker would send it (`new HttpResponse(init)`: `jsonBody` becomes
 * `application/json`). Returns the parsed body (text for a non-JSON body, undefined for none).
 */
export async function expectDocumented(method: string, route: string, response: HttpResponseInit | HttpResponse): Promise<unknown> {
  const op = operation(method, route);
  const wire = response instanceof HttpResponse ? response : new HttpResponse(response);
  const status = String(wire.status);
  const where = `${method.toUpperCase()} ${route} answered ${status}`;
  const text = await wire.text();
  const documented = op.responses[status];
  expect(documented, `${where}, a status the document does not list for it (it lists ${Object.keys(op.responses).join(", ")}); body: ${text.slice(0, 500)}`).toBeDefined();
  seenResponses.add(`${method.toUpperCase()} ${route} ${status}`);
  const answer = resolve<OpenApiResponse>(documented!);

  for (const [name, declared] of Object.entries(answer.headers ?? {})) {
    const spec = resolve<OpenApiHeader>(declared);
    const value = wire.headers.get(name);
    if (value === null) {
      expect(spec.required !== true, `${where} without its required ${name} header`).toBe(true);
      continue;
    }
    const typed = typeof spec.schema === "object" && spec.schema.type === "integer" && /^-?\d+$/u.test(value) ? Number(value) : value;
    const validate = compile(spec.schema);
    expect(validate(typed), `${where} with header ${name}: ${value}: ${describeErrors(validate.errors)}`).toBe(true);
  }
  const declaredHeaders = new Set(Object.keys(answer.headers ?? {}).map((name) => name.toLowerCase()));
  const undocumented = [...wire.headers.keys()].filter((name) => name !== "content-type" && !declaredHeaders.has(name));
  expect(undocumented, `${where} with headers the document does not list`).toEqual([]);

  if (!answer.content) {
    expect(text, `${where} with a body, and the document says it has none`).toBe("");
    return undefined;
  }
  const contentType = wire.headers.get("content-type");
  expect(contentType, `${where} without a Content-Type`).not.toBeNull();
  const actual = mediaType(contentType!);
  const match = Object.entries(answer.content).find(([key]) => {
    const listed = mediaType(key);
    return listed.essence === actual.essence && (listed.charset === undefined || listed.charset === actual.charset);
  });
  expect(match, `${where} with Content-Type ${contentType}; the document lists ${Object.keys(answer.content).join(", ")}`).toBeDefined();
  const [, media] = match!;
  const body = isJson(actual.essence) ? (JSON.parse(text) as unknown) : text;
  const validate = compile(media.schema);
  expect(validate(body), `${where} with a body the documented schema refuses: ${describeErrors(validate.errors)}\n${text.slice(0, 2000)}`).toBe(true);
  return body;
}

/** Whether `body` (parsed JSON) is valid against the operation's documented request body, with ajv's errors. */
export function checkRequestBody(method: string, route: string, body: unknown): { valid: boolean; errors: string } {
  const requestBody = operation(method, route).requestBody;
  expect(requestBody, `${method.toUpperCase()} ${route} documents no request body`).toBeDefined();
  const media = requestBody!.content["application/json"];
  expect(media, `${method.toUpperCase()} ${route} documents no JSON request body`).toBeDefined();
  const validate = compile(media!.schema);
  const valid = validate(body);
  return { valid, errors: describeErrors(validate.errors) };
}

/** `METHOD /path` for each operation of the document. */
export function documentedOperations(document: OpenApiDocument = OPEN_API_DOCUMENT): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) => HTTP_METHODS.filter((method) => item[method]).map((method) => `${method.toUpperCase()} ${path}`));
}

/**
 * `METHOD /path` for each HTTP route the captured functions serve, as the document writes it: the host's
 * `api` prefix, and route constraints (`{id:int}`, `{id?}`) dropped to the bare parameter.
 */
export function registeredOperations(functions: readonly CapturedFunction[]): { name: string; operation: string }[] {
  return functions.flatMap((fn) =>
    Object.values(fn.metadata.bindings)
      .filter((binding) => binding.type === "httpTrigger")
      .flatMap((binding) => {
        const route = String(binding.route ?? fn.name).replace(/\{([^}:?=]+)[^}]*\}/gu, "{$1}");
        const methods = (binding.methods as string[] | undefined) ?? ["(any method)"];
        return methods.map((method) => ({ name: fn.name, operation: `${method.toUpperCase()} /api/${route}` }));
      }),
  );
}
