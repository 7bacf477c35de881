// The Key Vault emulator driven by the production SDK (@azure/keyvault-secrets' SecretClient) and the
// production credential (DefaultAzureCredential against the ACI emulator's managed-identity endpoint):
// the challenge flow, the audience check, the REST shape of get/set/update, and Key Vault's errors.
import { request } from "node:https";
import { DefaultAzureCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startAciEmulator, type AciEmulator } from "../../dev/aci-emulator";
import { issueAccessToken } from "../../dev/aci-emulator/accessToken";
import { LOCAL_VAULT_RESOURCE, startKeyVaultEmulator, type KeyVaultEmulator } from "../../dev/keyvault-emulator";

let aci: AciEmulator;
let vault: KeyVaultEmulator;
let client: SecretClient;

beforeAll(async () => {
  aci = await startAciEmulator();
  vault = await startKeyVaultEmulator();
  process.env.IDENTITY_ENDPOINT = aci.identityEndpoint;
  process.env.IDENTITY_HEADER = aci.identityHeader;
  process.env.AZURE_TOKEN_CREDENTIALS = "ManagedIdentityCredential";
  client = new SecretClient(vault.vaultUri, new DefaultAzureCredential(), { retryOptions: { retryDelayInMs: 10, maxRetryDelayInMs: 50 } });
});

afterAll(async () => {
  await Promise.all([aci?.close(), vault?.close()]);
});

beforeEach(() => vault.reset());

/** A raw HTTPS call to the vault, to see exactly what a client is answered. */
function call(path: string, token?: string): Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> {
  const url = new URL(path, vault.vaultUri);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers: token ? { authorization: `Bearer ${token}` } : {} }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text ? JSON.parse(text) : undefined }));
    });
    req.on("error", reject);
    req.end();
  });
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe("authentication as Key Vault does it", () => {
  it("answers a request without a token with 401 and the challenge naming the authority and the vault resource", async () => {
    const answer = await call("secrets/db-password/?api-version=2026-04-01");
    expect(answer.status).toBe(401);
    expect(answer.headers["www-authenticate"]).toMatch(/^Bearer authorization="https:\/\/login\.microsoftonline\.com\/[0-9a-f-]+", resource="https:\/\/vault\.localhost"$/u);
    expect(answer.body).toEqual({ error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } });
  });

  it("refuses a token for another audience (ARM's) with 401 AKV10022 and the challenge again", async () => {
    const answer = await call("secrets/db-password/?api-version=2026-04-01", issueAccessToken("https://management.azure.com", inAnHour()));
    expect(answer.status).toBe(401);
    expect(answer.headers["www-authenticate"]).toContain(`resource="${LOCAL_VAULT_RESOURCE}"`);
    expect(answer.body).toMatchObject({ error: { code: "Unauthorized", message: expect.stringMatching(/^AKV10022: Invalid audience\. Expected https:\/\/vault\.localhost, found: https:\/\/management\.azure\.com\./u) } });
  });

  it("lets SecretClient answer the challenge with the managed identity: one unauthenticated request, then the real one", async () => {
    vault.setSecret("db-password", "p4ssw0rd-value");
    const secret = await new SecretClient(vault.vaultUri, new DefaultAzureCredential()).getSecret("db-password");
    expect(secret.value).toBe("p4ssw0rd-value");
    expect(vault.requests.map((r) => [r.status, r.authenticated])).toEqual([
      [401, false],
      [200, true],
    ]);
  });

  it("keeps SecretClient's challenge-resource check on: a vault URL outside the challenge's domain is refused by the SDK", async () => {
    const port = new URL(vault.vaultUri).port;
    const outside = new SecretClient(`https://localhost:${port}/`, new DefaultAzureCredential());
    await expect(outside.getSecret("db-password")).rejects.toThrow(/The challenge resource 'vault\.localhost' does not match the requested domain/u);
  });
});

describe("secrets REST shape", () => {
  it("sets a secret (a new version each time) and gets the latest or a given version, with Key Vault's bundle", async () => {
    const first = await client.setSecret("api-token", "first-value");
    const second = await client.setSecret("api-token", "second-value", { contentType: "text/plain" });
    expect(first.properties.version).toMatch(/^[0-9a-f]{32}$/u);
    expect(second.properties.version).not.toBe(first.properties.version);

    const latest = await client.getSecret("api-token");
    expect(latest).toMatchObject({ name: "api-token", value: "second-value", properties: { version: second.properties.version, enabled: true, contentType: "text/plain", vaultUrl: vault.vaultUri.replace(/\/$/u, "") } });
    expect(latest.properties.id).toBe(`${vault.vaultUri}secrets/api-token/${second.properties.version}`);
    expect((await client.getSecret("api-token", { version: first.properties.version! })).value).toBe("first-value");
  });

  it("treats secret names case-insensitively, as Key Vault does", async () => {
    vault.setSecret("Db-Password", "value-1");
    expect((await client.getSecret("db-password")).value).toBe("value-1");
  });

  it("answers 404 SecretNotFound for a missing secret or version", async () => {
    await expect(client.getSecret("missing-secret")).rejects.toMatchObject({
      statusCode: 404,
      code: "SecretNotFound",
      message: expect.stringMatching(/^A secret with \(name\/id\) missing-secret was not found in this key vault\./u),
    });
    vault.setSecret("db-password", "v");
    await expect(client.getSecret("db-password", { version: "0123456789abcdef0123456789abcdef" })).rejects.toMatchObject({ statusCode: 404, code: "SecretNotFound" });
  });

  it("answers 403 Forbidden (inner SecretDisabled) for a disabled secret, and serves it again once enabled", async () => {
    const { properties } = await client.setSecret("db-password", "v");
    await client.updateSecretProperties("db-password", properties.version!, { enabled: false });
    await expect(client.getSecret("db-password")).rejects.toMatchObject({
      statusCode: 403,
      code: "Forbidden",
      message: "Operation get is not allowed on a disabled secret.",
      details: { error: { innerError: { code: "SecretDisabled" } } },
    });
    vault.setEnabled("db-password", true);
    expect((await client.getSecret("db-password")).value).toBe("v");
  });

  it("answers 403 Forbidden (inner ForbiddenByRbac) when the identity may not read the secret", async () => {
    vault.setSecret("db-password", "v");
    vault.denyRead("db-password");
    await expect(client.getSecret("db-password")).rejects.toMatchObject({ statusCode: 403, details: { error: { innerError: { code: "ForbiddenByRbac" } } } });
  });

  it("throttles as Key Vault does: 429 Throttled without Retry-After, which the SDK does not retry, so the caller sees it", async () => {
    // Key Vault's throttling guidance leaves the back-off to the client, and a real 429 names no delay. The
    // SDK's throttling strategy retries only a 429 with Retry-After, and its exponential strategy only 408 and
    // 5xx: the 429 reaches the caller (the app's resolver counts it as transient; its activity is retried).
    vault.setSecret("db-password", "v");
    vault.injectFault({ status: 429, secret: "db-password" });
    await expect(client.getSecret("db-password")).rejects.toMatchObject({
      statusCode: 429,
      code: "Throttled",
      message: "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
    });
    expect(vault.requests.filter((r) => r.authenticated).map((r) => r.status)).toEqual([429]);
    expect((await client.getSecret("db-password")).value).toBe("v");

    const token = issueAccessToken(LOCAL_VAULT_RESOURCE, inAnHour());
    vault.injectFault({ status: 429 });
    const throttled = await call("secrets/db-password/?api-version=2026-04-01", token);
    expect(throttled).toMatchObject({ status: 429, body: { error: { code: "Throttled" } } });
    expect(throttled.headers).not.toHaveProperty("retry-after");
  });

  it("sends Retry-After only when a test asks for it, and then the SDK waits and retries", async () => {
    vault.setSecret("db-password", "v");
    vault.injectFault({ status: 429, secret: "db-password", retryAfterSeconds: 1 });
    expect((await client.getSecret("db-password")).value).toBe("v");
    expect(vault.requests.filter((r) => r.authenticated).map((r) => r.status)).toEqual([429, 200]);

    vault.injectFault({ status: 429, retryAfterSeconds: 2 });
    const answer = await call("secrets/db-password/?api-version=2026-04-01", issueAccessToken(LOCAL_VAULT_RESOURCE, inAnHour()));
    expect(answer).toMatchObject({ status: 429, headers: { "retry-after": "2" } });
    expect(() => vault.injectFault({ status: 429, retryAfterSeconds: 0 })).toThrow(/at least 1/u);
    expect(() => vault.injectFault({ status: 503, retryAfterSeconds: 1 })).toThrow(/for a 429 only/u);
  });

  it("stores the tags a set sends and answers without `tags` when a secret has none, like the Get Secret sample", async () => {
    await client.setSecret("tagged", "v1", { tags: { owner: "jobs", rotation: "90d" } });
    expect((await client.getSecret("tagged")).properties.tags).toEqual({ owner: "jobs", rotation: "90d" });
    vault.setSecret("untagged", "v2");
    const token = issueAccessToken(LOCAL_VAULT_RESOURCE, inAnHour());
    const untagged = await call("secrets/untagged/?api-version=2026-04-01", token);
    expect(untagged.status).toBe(200);
    expect(Object.keys(untagged.body as object).sort()).toEqual(["attributes", "id", "value"]);
    const tagged = await call("secrets/tagged/?api-version=2026-04-01", token);
    expect(tagged.body).toMatchObject({ tags: { owner: "jobs", rotation: "90d" } });

    // Update Secret replaces a version's tags when it names them.
    const { properties } = await client.getSecret("tagged");
    await client.updateSecretProperties("tagged", properties.version!, { tags: { owner: "platform" } });
    expect((await client.getSecret("tagged")).properties.tags).toEqual({ owner: "platform" });
  });

  it("rejects an invalid name and an unknown api-version with 400 BadParameter", async () => {
    const token = issueAccessToken(LOCAL_VAULT_RESOURCE, inAnHour());
    expect(await call("secrets/bad_name/?api-version=2026-04-01", token)).toMatchObject({ status: 400, body: { error: { code: "BadParameter", message: "The request URI contains an invalid name: bad_name" } } });
    expect(await call("secrets/db-password/?api-version=1.0", token)).toMatchObject({ status: 400, body: { error: { code: "BadParameter" } } });
  });
});
