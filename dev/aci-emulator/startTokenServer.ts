/**
 * @module
 * A plain-http App Service managed-identity endpoint (aci-rest-api.md §14): what `IDENTITY_ENDPOINT` and
 * `IDENTITY_HEADER` point at, so the production `DefaultAzureCredential` gets tokens without Azure.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { issueAccessToken } from "./accessToken";

const TOKEN_PATH = "/msi/token";
const APP_SERVICE_MSI_API_VERSION = "2019-08-01";
const TOKEN_LIFETIME_SECONDS = 24 * 3600;

export interface TokenServer {
  /** `http://127.0.0.1:<port>/msi/token`, the value for `IDENTITY_ENDPOINT`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

export async function startTokenServer(host: string, identityHeader: string): Promise<TokenServer> {
  const server = createServer((request, response) => answerTokenRequest(request, response, identityHeader));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}${TOKEN_PATH}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function answerTokenRequest(request: IncomingMessage, response: ServerResponse, identityHeader: string): void {
  const url = new URL(request.url ?? "/", "http://localhost");
  const reply = (status: number, body: object): void => {
    response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    response.end(JSON.stringify(body));
  };
  if (url.pathname !== TOKEN_PATH || request.method !== "GET") return reply(404, { statusCode: 404, message: "Not found." });
  // The status and wording of the App Service endpoint's rejections are the emulator's choice.
  if (request.headers["x-identity-header"] !== identityHeader) {
    return reply(401, { statusCode: 401, message: "Unauthorized. The X-IDENTITY-HEADER header is missing or does not match." });
  }
  if (url.searchParams.get("api-version") !== APP_SERVICE_MSI_API_VERSION) {
    return reply(400, { statusCode: 400, message: `Bad request. The api-version must be '${APP_SERVICE_MSI_API_VERSION}'.` });
  }
  const resource = url.searchParams.get("resource");
  if (!resource) return reply(400, { statusCode: 400, message: "Bad request. The 'resource' query parameter is required." });

  const clientId = url.searchParams.get("client_id") ?? undefined;
  const expiresOn = Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_SECONDS; // wall time: MSAL checks expiry against it
  reply(200, {
    access_token: issueAccessToken(resource, expiresOn, clientId),
    expires_on: String(expiresOn),
    token_type: "Bearer",
    // Echo the requested resource: a fixed value makes MSAL serve later scopes from its cache (§14).
    resource,
    ...(clientId && { client_id: clientId }),
  });
}
