/**
 * @module
 * Errors for HTTP callers, as RFC 9457 problem details (`application/problem+json`). Known failures
 * are raised as {@link HttpError} and rendered as they are; anything else becomes a generic 500 whose
 * details go to the function log only, never to the caller (no stack traces over HTTP).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";

const TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "HttpError";
  }
}

/*
 * Every reply is bounded, whatever the request was: a body of thousands of unknown keys once got a
 * 24 MB 400. `detail` and each string of an `errors` entry are cut to a length, and `errors` lists at
 * most MAX_LISTED_ERRORS entries, with `errorsNotListed` saying how many more there were. Our own
 * limits, chosen so that a reply stays a few kilobytes.
 */
export const MAX_DETAIL_LENGTH = 1_000;
export const MAX_LISTED_ERRORS = 20;
export const MAX_ERROR_TEXT_LENGTH = 300;

export function problem(status: number, detail: string, extensions: Readonly<Record<string, unknown>> = {}): HttpResponseInit {
  return {
    status,
    headers: { "content-type": "application/problem+json" },
    jsonBody: { type: "about:blank", title: TITLES[status] ?? "Error", status, detail: cut(detail, MAX_DETAIL_LENGTH), ...boundedExtensions(extensions) },
  };
}

/** `text` cut to at most `max` characters, ending in "…" when cut (never inside a surrogate pair). */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

function boundedExtensions(extensions: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { errors } = extensions;
  if (!Array.isArray(errors)) return { ...extensions };
  const listed = errors.slice(0, MAX_LISTED_ERRORS).map(boundedEntry);
  return { ...extensions, errors: listed, ...(errors.length > listed.length ? { errorsNotListed: errors.length - listed.length } : {}) };
}

function boundedEntry(entry: unknown): unknown {
  if (typeof entry === "string") return cut(entry, MAX_ERROR_TEXT_LENGTH);
  if (typeof entry !== "object" || entry === null) return entry;
  return Object.fromEntries(Object.entries(entry).map(([key, value]) => [key, typeof value === "string" ? cut(value, MAX_ERROR_TEXT_LENGTH) : value]));
}

type Handler<Args extends unknown[]> = (request: HttpRequest, ...rest: Args) => Promise<HttpResponseInit>;

/** Wraps a handler so every error reaches the caller as problem+json. */
export function withProblemResponses<Args extends [...unknown[], InvocationContext]>(handler: Handler<Args>): Handler<Args> {
  return async (request, ...rest) => {
    try {
      return await handler(request, ...rest);
    } catch (error) {
      if (error instanceof HttpError) return problem(error.status, error.message, error.extensions);
      const context = rest.at(-1) as InvocationContext;
      context.error(`Unhandled error in ${context.functionName}:`, error);
      return problem(500, `Something went wrong on our side. Invocation ${context.invocationId} has the details in the function log.`);
    }
  };
}
