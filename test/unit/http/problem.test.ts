import { HttpRequest, InvocationContext, type HttpResponseInit, type LogLevel } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { cut, HttpError, MAX_DETAIL_LENGTH, MAX_ERROR_TEXT_LENGTH, MAX_LISTED_ERRORS, problem, withProblemResponses } from "../../../src/http/problem";

function contextWithLog() {
  const lines: Array<{ level: LogLevel; args: unknown[] }> = [];
  const context = new InvocationContext({
    functionName: "startJobRun",
    invocationId: "inv-42",
    logHandler: (level, ...args) => lines.push({ level, args }),
  });
  return { context, lines };
}

const request = () => new HttpRequest({ method: "GET", url: "http://localhost:7071/api/jobs" });

describe("problem", () => {
  it("renders RFC 9457 problem details with the status's title", () => {
    expect(problem(404, "There is no job x.")).toEqual({
      status: 404,
      headers: { "content-type": "application/problem+json" },
      jsonBody: { type: "about:blank", title: "Not Found", status: 404, detail: "There is no job x." },
    });
  });

  it("adds extension members next to the standard ones", () => {
    expect(problem(409, "busy", { activeRuns: ["r1"] }).jsonBody).toEqual({
      type: "about:blank",
      title: "Conflict",
      status: 409,
      detail: "busy",
      activeRuns: ["r1"],
    });
  });

  it("titles every status the API uses and falls back to Error for others", () => {
    const titles = [400, 404, 405, 409, 415, 500, 503].map((status) => (problem(status, "").jsonBody as { title: string }).title);
    expect(titles).toEqual([
      "Bad Request",
      "Not Found",
      "Method Not Allowed",
      "Conflict",
      "Unsupported Media Type",
      "Internal Server Error",
      "Service Unavailable",
    ]);
    expect((problem(418, "").jsonBody as { title: string }).title).toBe("Error");
  });
});

describe("problem: every reply is bounded (issue 9)", () => {
  it("titles 413 Content Too Large (RFC 9110)", () => {
    expect((problem(413, "").jsonBody as { title: string }).title).toBe("Content Too Large");
  });

  it("lists at most 20 errors and says how many more there were", () => {
    const errors = Array.from({ length: 10_000 }, (_, i) => ({ field: `k${i}`, message: `"k${i}" is not a field of a run request` }));
    const body = problem(400, "bad", { errors }).jsonBody as { errors: unknown[]; errorsNotListed: number };
    expect(body.errors).toEqual(errors.slice(0, MAX_LISTED_ERRORS));
    expect(body.errorsNotListed).toBe(10_000 - MAX_LISTED_ERRORS);
  });

  it("cuts the detail and each error's strings, so a reply stays a few kilobytes however large the request", () => {
    const huge = "k".repeat(1_000_000);
    const errors = Array.from({ length: 50 }, () => ({ field: huge, message: `${JSON.stringify(huge)} is not a field`, index: 3 }));
    const body = problem(400, `The request body is not a valid run request: ${huge}`, { errors }).jsonBody as {
      detail: string;
      errors: Array<{ field: string; message: string; index: number }>;
    };
    expect(body.detail).toHaveLength(MAX_DETAIL_LENGTH);
    expect(body.detail.endsWith("…")).toBe(true);
    expect(body.errors.every((e) => e.field.length === MAX_ERROR_TEXT_LENGTH && e.message.length === MAX_ERROR_TEXT_LENGTH && e.index === 3)).toBe(true);
    expect(JSON.stringify(body).length).toBeLessThan(16 * 1024);
  });

  it("leaves short texts and other extensions as they are", () => {
    expect(problem(400, "short", { errors: [{ field: "cpu", message: "cpu 3 is more" }] }).jsonBody).toEqual({
      type: "about:blank",
      title: "Bad Request",
      status: 400,
      detail: "short",
      errors: [{ field: "cpu", message: "cpu 3 is more" }],
    });
  });

  it("never cuts a character in half", () => {
    expect(cut("ab😀cd", 4)).toBe("ab…");
    expect(cut("abc😀", 4)).toBe("abc…");
    expect(cut("abcd", 4)).toBe("abcd");
  });
});

describe("HttpError", () => {
  it("carries status, message, extensions and cause", () => {
    const cause = new Error("root");
    const error = new HttpError(409, "busy", { activeRuns: [] }, { cause });
    expect(error).toMatchObject({ name: "HttpError", status: 409, message: "busy", extensions: { activeRuns: [] } });
    expect(error.cause).toBe(cause);
  });
});

describe("withProblemResponses", () => {
  it("passes a handler's own response through", async () => {
    const { context } = contextWithLog();
    const ok: HttpResponseInit = { status: 200, jsonBody: { fine: true } };
    const handler = withProblemResponses(async (_request, _context: InvocationContext) => ok);
    expect(await handler(request(), context)).toBe(ok);
  });

  it("renders an HttpError as the problem it describes, without logging it as a failure", async () => {
    const { context, lines } = contextWithLog();
    const handler = withProblemResponses(async (_request, _context: InvocationContext): Promise<HttpResponseInit> => {
      throw new HttpError(409, "busy", { activeRuns: ["r1"] });
    });
    const response = await handler(request(), context);
    expect(response).toEqual(problem(409, "busy", { activeRuns: ["r1"] }));
    expect(lines.filter((l) => l.level === "error")).toEqual([]);
  });

  it("hides an unexpected error behind a generic 500 that points to the invocation, and logs the error", async () => {
    const { context, lines } = contextWithLog();
    const failure = new Error("connection string AccountKey=secret leaked");
    const handler = withProblemResponses(async (_request, _client: unknown, _context: InvocationContext): Promise<HttpResponseInit> => {
      throw failure;
    });
    const response = await handler(request(), {}, context);
    expect(response.status).toBe(500);
    expect(response.headers).toEqual({ "content-type": "application/problem+json" });
    expect(response.jsonBody).toEqual({
      type: "about:blank",
      title: "Internal Server Error",
      status: 500,
      detail: "Something went wrong on our side. Invocation inv-42 has the details in the function log.",
    });
    const body = JSON.stringify(response.jsonBody);
    expect(body).not.toContain("secret");
    expect(body).not.toMatch(/\bat .*\(.*:\d+:\d+\)/u);
    expect(lines).toEqual([{ level: "error", args: ["Unhandled error in startJobRun:", failure] }]);
  });

  it("also turns a thrown non-Error value into the generic 500", async () => {
    const { context } = contextWithLog();
    const handler = withProblemResponses(async (_request, _context: InvocationContext): Promise<HttpResponseInit> => {
      throw "a string";
    });
    expect((await handler(request(), context)).status).toBe(500);
  });
});
