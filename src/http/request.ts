/**
 * @module
 * Reading an HTTP request for the API's handlers: a bounded JSON body, and who App Service
 * Authentication says is calling. Failures are HttpErrors, rendered as problem+json by the caller.
 */
import type { HttpRequest } from "@azure/functions";
import type { z } from "zod";
import { HttpError } from "./problem";

/** One refused field of a request body, as `errors` lists it. */
export interface BodyProblem {
  readonly field: string;
  readonly message: string;
}

/** A body schema's refusals, each naming its field; `fields` says what the request may have instead of an unknown key. */
export function bodyProblems(error: z.ZodError, fields: string): BodyProblem[] {
  return error.issues.map((issue) => ({
    field: issue.path.join(".") || "(body)",
    message: issue.code === "unrecognized_keys" ? `${issue.keys.join(", ")}: ${fields}` : issue.message,
  }));
}

/** A 400 for a `what` request (cancel, pause, backfill) whose body was refused. */
export function invalidBody(what: string, problems: readonly BodyProblem[]): HttpError {
  return new HttpError(400, `The request body is not a valid ${what} request: ${summarise(problems.map((p) => `${p.field}: ${p.message}`))}.`, { errors: problems });
}

/** The body checked against `schema` (an empty body is `{}`), or a 400 naming each refused field. */
export async function readValidBody<T>(request: HttpRequest, schema: z.ZodType<T>, what: string, fields: string): Promise<T> {
  const parsed = schema.safeParse((await readJsonBody(request)) ?? {});
  if (!parsed.success) throw invalidBody(what, bodyProblems(parsed.error, fields));
  return parsed.data;
}

/**
 * The caller App Service Authentication signed in, when the app has it on (function keys name nobody).
 * The platform sets these headers itself and does not let external requests set them. The library
 * throws on an incomplete set, which then names nobody.
 */
export function signedInUser(request: HttpRequest): string | undefined {
  try {
    return request.user?.username || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Largest run request body: 64 KiB. Ours: it holds the largest valid request (a command of up to
 * 64 KiB, or up to 100 environment values) with room for JSON, and is far below the host's own limit.
 */
export const MAX_RUN_REQUEST_BYTES = 64 * 1024;

/** The body as JSON, or undefined when there is none; over {@link MAX_RUN_REQUEST_BYTES}, a 413. */
export async function readJsonBody(request: HttpRequest): Promise<unknown> {
  const text = await readBoundedText(request, MAX_RUN_REQUEST_BYTES);
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, "The request body is not valid JSON.");
  }
}

/**
 * The body as UTF-8 text, refused with 413 when it is longer than `limit` bytes: at once when
 * Content-Length says so, otherwise as soon as the bytes read pass the limit (a missing or wrong
 * Content-Length does not let a larger body through).
 */
async function readBoundedText(request: HttpRequest, limit: number): Promise<string> {
  const tooLarge = () => new HttpError(413, `The request body is larger than ${limit / 1024} KiB, the most a run request may have.`);
  const declared = request.headers.get("content-length")?.trim();
  if (declared && /^[0-9]+$/u.test(declared) && Number(declared) > limit) throw tooLarge();
  const body = request.body;
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (done) break;
      if (!value) continue;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  // As request.text() decodes: UTF-8, a leading BOM dropped, bad bytes replaced.
  return new TextDecoder().decode(Buffer.concat(chunks, size));
}

/** The first few problems joined for `detail`, and how many more `errors` has. */
export function summarise(messages: readonly string[]): string {
  const shown = 5;
  const head = messages.slice(0, shown).join("; ");
  return messages.length > shown ? `${head}; and ${messages.length - shown} more (see errors)` : head;
}

