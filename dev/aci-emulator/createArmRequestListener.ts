/**
 * @module
 * HTTP plumbing of the ARM endpoint: fault injection, authentication, routing, api-version, JSON bodies and
 * the headers every real response carries (aci-rest-api.md §4.1, §11, §15.1).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ARM_AUDIENCES, readTokenAudience, readTokenObjectId } from "./accessToken";
import { ArmError, invalidRequestContent } from "./ArmError";
import {
  deleteGroup,
  getGroup,
  getOperation,
  listAllGroups,
  listLogs,
  listOutboundDependencies,
  listResourceGroupGroups,
  listUsages,
  patchGroup,
  putGroup,
  restartGroup,
  startGroup,
  stopGroup,
  type ArmResponse,
  type Handler,
} from "./containerGroupHandlers";
import type { EmulatorState } from "./emulatorState";
import type { Fault } from "./FaultInjector";
import { authorize } from "./roleAssignment";

/** §2: the SDK sends 2023-05-01; the two newest stable versions are accepted too. */
const GROUP_API_VERSIONS = ["2023-05-01", "2025-09-01", "2026-05-01"];
/** §2: async-operation URLs carry their own api-version (2018-06-01 in the real recording). */
const OPERATION_API_VERSIONS = ["2018-06-01", ...GROUP_API_VERSIONS];

interface Route {
  readonly pattern: RegExp;
  readonly methods: Readonly<Record<string, Handler>>;
  readonly apiVersions: readonly string[];
}

const SUBSCRIPTION = String.raw`/subscriptions/([^/]+)`;
const PROVIDER = String.raw`/providers/Microsoft\.ContainerInstance`;
const GROUPS = String.raw`${SUBSCRIPTION}/resourceGroups/([^/]+)${PROVIDER}/containerGroups`;
const route = (path: string, methods: Record<string, Handler>, apiVersions = GROUP_API_VERSIONS): Route => ({
  pattern: new RegExp(`^${path}$`, "iu"),
  methods,
  apiVersions,
});

const ROUTES: readonly Route[] = [
  route(`${SUBSCRIPTION}${PROVIDER}/containerGroups`, { GET: listAllGroups }),
  route(GROUPS, { GET: listResourceGroupGroups }),
  route(`${GROUPS}/([^/]+)`, { GET: getGroup, PUT: putGroup, PATCH: patchGroup, DELETE: deleteGroup }),
  route(`${GROUPS}/([^/]+)/restart`, { POST: restartGroup }),
  route(`${GROUPS}/([^/]+)/start`, { POST: startGroup }),
  route(`${GROUPS}/([^/]+)/stop`, { POST: stopGroup }),
  route(`${GROUPS}/([^/]+)/containers/([^/]+)/logs`, { GET: listLogs }),
  route(`${GROUPS}/([^/]+)/outboundNetworkDependenciesEndpoints`, { GET: listOutboundDependencies }),
  route(`${SUBSCRIPTION}${PROVIDER}/locations/([^/]+)/operations/([^/]+)`, { GET: getOperation }, OPERATION_API_VERSIONS),
  route(`${SUBSCRIPTION}${PROVIDER}/locations/([^/]+)/usages`, { GET: listUsages }),
];

/** §11: remaining-quota headers of the ARM buckets (not modelled: the values of the real recording). */
const ARM_BUCKET_HEADERS: Readonly<Record<string, Record<string, string>>> = {
  GET: { "x-ms-ratelimit-remaining-subscription-reads": "11999" },
  DELETE: { "x-ms-ratelimit-remaining-subscription-deletes": "14999" },
  PUT: { "x-ms-ratelimit-remaining-subscription-writes": "1199" },
  PATCH: { "x-ms-ratelimit-remaining-subscription-writes": "1199" },
  POST: { "x-ms-ratelimit-remaining-subscription-writes": "1199" },
};

export function createArmRequestListener(state: EmulatorState): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    serve(state, request, response).catch((error: unknown) => {
      // Only a broken connection gets here; there is no one left to answer.
      request.socket.destroy(error instanceof Error ? error : undefined);
    });
  };
}

async function serve(state: EmulatorState, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? "/", "https://emulator");
  const path = url.pathname.replace(/\/+$/u, "") || "/";
  const method = (request.method ?? "GET").toUpperCase();
  const bodyText = await readBody(request);
  const fault = state.faults.take(method, path);
  const recordedBody = bodyText.trim() === "" ? {} : { body: parseOrText(bodyText) };
  if (fault && "kind" in fault && fault.kind === "reset") {
    state.requests.push({ method, path, status: 0, at: state.clock.now(), ...recordedBody });
    request.socket.destroy(); // the client sees ECONNRESET / socket hang up
    return;
  }

  if (fault && "kind" in fault && fault.kind === "held") await fault.until.catch(() => undefined);

  let result: ArmResponse;
  try {
    if (fault && "kind" in fault && fault.kind === "body") result = { status: 200, body: fault.body };
    else if (fault && "kind" in fault) result = dispatch(state, request, url, path, method, bodyText);
    else if (fault) throw faultError(fault);
    else result = dispatch(state, request, url, path, method, bodyText);
  } catch (error) {
    result = toErrorResponse(error);
  }
  if (fault && "kind" in fault && (fault.kind === "lostResponse" || fault.kind === "noAnswer")) {
    // Done, but the client never hears of it: a retry finds the work already done. Without an answer the
    // socket is left open, as a stalled connection would be, until the client times out and closes it.
    state.requests.push({ method, path, status: 0, at: state.clock.now(), ...recordedBody });
    if (fault.kind === "lostResponse") request.socket.destroy();
    return;
  }
  state.requests.push({ method, path, status: result.status, at: state.clock.now(), ...recordedBody });
  writeResponse(request, response, method, result);
}

function dispatch(state: EmulatorState, request: IncomingMessage, url: URL, path: string, method: string, bodyText: string): ArmResponse {
  const token = authenticate(request.headers.authorization);
  // ARM checks the caller's role before the resource provider sees the request.
  if (state.roleAssignment) authorize(state.roleAssignment, method, path, readTokenObjectId(token));
  for (const { pattern, methods, apiVersions } of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    const handler = methods[method];
    if (!handler) throw new ArmError(405, "MethodNotAllowed", `The HTTP method '${method}' is not supported for the path '${path}'.`);
    const apiVersion = requireApiVersion(url.searchParams.get("api-version"), apiVersions);
    const params = match.slice(1).map((segment) => decodeURIComponent(segment));
    requireResourceGroup(state, path);
    const body = parseBody(bodyText);
    return handler(state, { method, query: url.searchParams, apiVersion, body, now: state.clock.now() }, params);
  }
  throw new ArmError(404, "NotFound", `No route for '${method} ${path}' in the ACI emulator.`);
}

/** ARM's codes and wording for a missing or malformed bearer token and for a token issued for another audience. */
/** ARM answers requests under a resource group that does not exist with 404 ResourceGroupNotFound (§8). */
function requireResourceGroup(state: EmulatorState, path: string): void {
  const name = /\/resourceGroups\/([^/]+)/iu.exec(path)?.[1];
  if (name === undefined || state.resourceGroups === undefined) return;
  const resourceGroup = decodeURIComponent(name);
  if (!state.resourceGroups.has(resourceGroup.toLowerCase())) {
    throw new ArmError(404, "ResourceGroupNotFound", `Resource group '${resourceGroup}' could not be found.`);
  }
}

/** The bearer token, once ARM would accept it as authentication. */
function authenticate(header: string | undefined): string {
  if (header === undefined || header === "") {
    throw new ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
  }
  const token = /^Bearer\s+(\S+)$/iu.exec(header)?.[1];
  if (token === undefined) {
    throw new ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format.");
  }
  // Any bearer token is accepted (opaque tokens, real Azure tokens, tokens of any emulator instance); a readable
  // JWT must be for ARM, which catches a client that asks for the emulator's origin instead of ARM's audience.
  const audience = readTokenAudience(token);
  if (audience !== undefined && !ARM_AUDIENCES.includes(audience)) {
    throw new ArmError(
      401,
      "InvalidAuthenticationTokenAudience",
      `The access token has been obtained for wrong audience or resource '${audience}'. It should exactly match with one of the allowed audiences ${ARM_AUDIENCES.map((a) => `'${a}'`).join(",")}.`,
    );
  }
  return token;
}

function requireApiVersion(apiVersion: string | null, accepted: readonly string[]): string {
  if (apiVersion !== null && accepted.includes(apiVersion)) return apiVersion;
  // §2: ARM's usual code (unconfirmed for ACI), used for a missing api-version too.
  throw new ArmError(
    400,
    "InvalidApiVersionParameter",
    apiVersion === null
      ? "The api-version query parameter (?api-version=) is required for all requests."
      : `The api-version '${apiVersion}' is invalid. The supported versions are '${accepted.join(",")}'.`,
  );
}

function parseBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalidRequestContent(error instanceof Error ? error.message : "The request body is not valid JSON.");
  }
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function faultError(fault: Exclude<Fault, { kind: string }>): ArmError {
  if (fault.status === 429) {
    if (fault.retryAfterSeconds === undefined) return new ArmError(429, "TooManyRequests", "Too many requests (injected fault).");
    return new ArmError(429, "TooManyRequests", `Too many requests (injected fault). Please retry after ${fault.retryAfterSeconds} seconds.`, {
      "Retry-After": String(fault.retryAfterSeconds),
    });
  }
  if (isClientError(fault)) return new ArmError(fault.status, fault.code, fault.message);
  const defaults = fault.status === 503 ? { code: "ServiceUnavailable", message: "The service is unavailable (injected fault)." } : { code: "InternalServerError", message: "An internal server error occurred (injected fault)." };
  return new ArmError(
    fault.status,
    fault.code ?? defaults.code,
    fault.message ?? defaults.message,
    fault.retryAfterSeconds === undefined ? {} : { "Retry-After": String(fault.retryAfterSeconds) },
  );
}

function isClientError(fault: Exclude<Fault, { kind: string }>): fault is Extract<Fault, { status: 400 | 401 | 403 | 404 | 409 }> {
  return fault.status < 500 && fault.status !== 429;
}

function toErrorResponse(error: unknown): ArmResponse {
  if (error instanceof ArmError) return { status: error.status, body: error.toBody(), headers: error.headers };
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: { error: { code: "InternalServerError", message: `ACI emulator error: ${message}` } } };
}

function writeResponse(request: IncomingMessage, response: ServerResponse, method: string, result: ArmResponse): void {
  const requestId = randomUUID();
  const correlationId = request.headers["x-ms-correlation-request-id"];
  const headers: Record<string, string> = {
    "cache-control": "no-cache",
    "x-ms-request-id": result.region ? `${result.region}:${requestId}` : requestId,
    "x-ms-correlation-request-id": typeof correlationId === "string" ? correlationId : randomUUID(),
    ...ARM_BUCKET_HEADERS[method],
    ...result.headers,
  };
  if (result.body === undefined) {
    response.writeHead(result.status, headers);
    response.end();
    return;
  }
  const payload = JSON.stringify(result.body);
  response.writeHead(result.status, { ...headers, "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(payload)) });
  response.end(payload);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
