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
  415: "Unsupported Media Type",
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

export function problem(status: number, detail: string, extensions: Readonly<Record<string, unknown>> = {}): HttpResponseInit {
  return {
    status,
    headers: { "content-type": "application/problem+json" },
    jsonBody: { type: "about:blank", title: TITLES[status] ?? "Error", status, detail, ...extensions },
  };
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
