/**
 * @module
 * GET /api/openapi.json: the OpenAPI 3.1 description of the HTTP API (src/http/openApi.ts), behind a
 * function key like every route.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { OPEN_API_DOCUMENT } from "../http/openApi";

export function createOpenApiHandler() {
  return async (_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => ({ status: 200, jsonBody: OPEN_API_DOCUMENT });
}

/** Registers the document's route with the Functions host. */
export function registerOpenApi(): void {
  app.http("getOpenApiDocument", { route: "openapi.json", methods: ["GET"], authLevel: "function", handler: createOpenApiHandler() });
}
