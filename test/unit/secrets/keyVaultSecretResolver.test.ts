import { describe, expect, it } from "vitest";
import { keyVaultSecret, type SecretReference } from "../../../src/jobs/secretReference";
import { KeyVaultSecretResolver, SecretStoreUnavailableError, type SecretReader } from "../../../src/secrets";

/** A RestError as @azure/keyvault-secrets throws it: status, code, and Key Vault's error body in `details`. */
function restError(statusCode: number, code: string, message: string, innerCode?: string): Error {
  return Object.assign(new Error(message), {
    name: "RestError",
    statusCode,
    code,
    details: { error: { code, message, ...(innerCode ? { innerError: { code: innerCode } } : {}) } },
  });
}

const VERSION = "4387e9f3d6e14c459867679a90fd0f79";

/** A vault in a map; names not in it answer 404 SecretNotFound as Key Vault does; every read is counted. */
class FakeVault implements SecretReader {
  readonly values = new Map<string, string>();
  readonly failures = new Map<string, () => Error>();
  readonly reads: string[] = [];
  delayMs = 0;
  inFlight = 0;
  maxInFlight = 0;

  async getSecret(name: string, options: { version?: string } = {}): Promise<{ value?: string }> {
    const key = options.version ? `${name}/${options.version}` : name;
    this.reads.push(key);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    } finally {
      this.inFlight -= 1;
    }
    const failure = this.failures.get(key);
    if (failure) throw failure();
    const value = this.values.get(key);
    if (value === undefined) {
      throw restError(404, "SecretNotFound", `A secret with (name/id) ${key} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.`);
    }
    return { value };
  }
}

function resolverOver(vault: FakeVault) {
  let now = 1_000_000;
  const resolver = new KeyVaultSecretResolver(vault, { now: () => now });
  return { resolver, advance: (ms: number) => (now += ms) };
}

describe("KeyVaultSecretResolver.resolve", () => {
  it("returns every value keyed by secretKey, latest and pinned versions apart", async () => {
    const vault = new FakeVault();
    vault.values.set("acr-password", "latest-password");
    vault.values.set(`acr-password/${VERSION}`, "pinned-password");
    vault.values.set("storage-key", "c3RvcmFnZS1rZXk=");
    const { resolver } = resolverOver(vault);
    const result = await resolver.resolve([keyVaultSecret("acr-password"), keyVaultSecret("acr-password", VERSION), keyVaultSecret("storage-key")]);
    expect(result).toEqual({
      ok: true,
      values: new Map([
        ["acr-password", "latest-password"],
        [`acr-password/${VERSION}`, "pinned-password"],
        ["storage-key", "c3RvcmFnZS1rZXk="],
      ]),
    });
  });

  it("reads the references in parallel and a repeated reference once", async () => {
    const vault = new FakeVault();
    vault.delayMs = 5;
    for (const name of ["a-secret", "b-secret", "c-secret"]) vault.values.set(name, `${name}-value`);
    const { resolver } = resolverOver(vault);
    const result = await resolver.resolve([keyVaultSecret("a-secret"), keyVaultSecret("b-secret"), keyVaultSecret("c-secret"), keyVaultSecret("a-secret")]);
    expect(result.ok).toBe(true);
    expect(vault.reads.sort()).toEqual(["a-secret", "b-secret", "c-secret"]);
    expect(vault.maxInFlight).toBe(3);
  });

  it("asks nothing for no references", async () => {
    const vault = new FakeVault();
    expect(await resolverOver(vault).resolver.resolve([])).toEqual({ ok: true, values: new Map() });
    expect(vault.reads).toEqual([]);
  });
});

describe("KeyVaultSecretResolver: cache", () => {
  it("reuses a value for 5 minutes, then reads the vault again and picks up a rotated value", async () => {
    const vault = new FakeVault();
    vault.values.set("db-password", "first-password");
    const { resolver, advance } = resolverOver(vault);
    const ref = [keyVaultSecret("db-password")];
    expect(await resolver.resolve(ref)).toMatchObject({ values: new Map([["db-password", "first-password"]]) });
    vault.values.set("db-password", "rotated-password");
    advance(4 * 60_000 + 59_000);
    expect(await resolver.resolve(ref)).toMatchObject({ values: new Map([["db-password", "first-password"]]) });
    expect(vault.reads).toEqual(["db-password"]);
    advance(2_000);
    expect(await resolver.resolve(ref)).toMatchObject({ values: new Map([["db-password", "rotated-password"]]) });
    expect(vault.reads).toEqual(["db-password", "db-password"]);
  });

  it("shares one read between concurrent callers", async () => {
    const vault = new FakeVault();
    vault.delayMs = 20;
    vault.values.set("db-password", "the-password");
    const { resolver } = resolverOver(vault);
    await Promise.all([resolver.resolve([keyVaultSecret("db-password")]), resolver.resolve([keyVaultSecret("db-password")])]);
    expect(vault.reads).toEqual(["db-password"]);
  });

  it("does not cache failures: a secret created after a 404 is found by the next call", async () => {
    const vault = new FakeVault();
    const { resolver } = resolverOver(vault);
    expect((await resolver.resolve([keyVaultSecret("late-secret")])).ok).toBe(false);
    vault.values.set("late-secret", "now-it-exists");
    expect(await resolver.resolve([keyVaultSecret("late-secret")])).toMatchObject({ ok: true });
  });

  it("keeps earlier values of a rotated secret for redaction, the current one included", async () => {
    const vault = new FakeVault();
    vault.values.set("db-password", "first-password");
    const { resolver, advance } = resolverOver(vault);
    await resolver.resolve([keyVaultSecret("db-password")]);
    vault.values.set("db-password", "rotated-password");
    advance(6 * 60_000);
    const redaction = await resolver.redactionValues([keyVaultSecret("db-password")]);
    expect(redaction.ok && [...redaction.values].sort()).toEqual(["first-password", "rotated-password"]);
  });
});

describe("KeyVaultSecretResolver: failures", () => {
  const cases: Array<[string, () => Error, string]> = [
    ["404 SecretNotFound", () => restError(404, "SecretNotFound", "A secret with (name/id) db-password was not found in this key vault."), "SecretNotFound"],
    ["403 on a disabled secret", () => restError(403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled"), "SecretDisabled"],
    ["403 without the role", () => restError(403, "Forbidden", "Caller is not authorized to perform action on resource.", "ForbiddenByRbac"), "ForbiddenByRbac"],
    ["401 token refused", () => restError(401, "Unauthorized", "AKV10022: Invalid audience."), "Unauthorized"],
    ["400 bad request", () => restError(400, "BadParameter", "The request URI contains an invalid name: db-password"), "BadParameter"],
  ];
  for (const [what, failure, code] of cases) {
    it(`${what} is terminal: a result naming the secret and the code`, async () => {
      const vault = new FakeVault();
      vault.failures.set("db-password", failure);
      const result = await resolverOver(vault).resolver.resolve([keyVaultSecret("db-password")]);
      expect(result).toMatchObject({ ok: false, secret: "db-password", code });
    });
  }

  const transient: Array<[string, () => Error]> = [
    ["429 Throttled", () => restError(429, "Throttled", "Request was not allowed because application exceeded the rate limit")],
    ["503", () => restError(503, "ServiceUnavailable", "The service is unavailable.")],
    ["408", () => restError(408, "RequestTimeout", "Request timed out.")],
    ["a network fault", () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:443"), { name: "RestError", code: "REQUEST_SEND_ERROR" })],
    ["the identity endpoint failing", () => Object.assign(new Error("ManagedIdentityCredential: the endpoint did not answer"), { name: "AuthenticationError", statusCode: 503 })],
  ];
  for (const [what, failure] of transient) {
    it(`${what} is transient: thrown, for Durable to retry`, async () => {
      const vault = new FakeVault();
      vault.failures.set("db-password", failure);
      const error = await resolverOver(vault).resolver.resolve([keyVaultSecret("db-password")]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SecretStoreUnavailableError);
      expect((error as SecretStoreUnavailableError).secret).toBe("db-password");
      expect((error as Error).message).toMatch(/^Key Vault could not be read for secret db-password/u);
    });
  }

  const noToken: Array<[string, () => Error]> = [
    ["no credential that works here", () => Object.assign(new Error("ManagedIdentityCredential: no managed identity endpoint"), { name: "CredentialUnavailableError" })],
    ["DefaultAzureCredential without `az login`", () => Object.assign(new Error("ChainedTokenCredential authentication failed."), { name: "AggregateAuthenticationError" })],
    ["a token request refused", () => Object.assign(new Error("ManagedIdentityCredential: identity not found"), { name: "AuthenticationError", statusCode: 400 })],
  ];
  for (const [what, failure] of noToken) {
    it(`${what} is terminal: CredentialUnavailable, not retried`, async () => {
      const vault = new FakeVault();
      vault.failures.set("db-password", failure);
      const result = await resolverOver(vault).resolver.resolve([keyVaultSecret("db-password")]);
      expect(result).toMatchObject({ ok: false, secret: "db-password", code: "CredentialUnavailable" });
    });
  }

  it("reports a terminal failure over a transient one on another reference (retrying would not help)", async () => {
    const vault = new FakeVault();
    vault.failures.set("busy-secret", () => restError(503, "ServiceUnavailable", "busy"));
    const result = await resolverOver(vault).resolver.resolve([keyVaultSecret("busy-secret"), keyVaultSecret("missing-secret")]);
    expect(result).toMatchObject({ ok: false, secret: "missing-secret", code: "SecretNotFound" });
  });

  it("never puts a resolved value into a failure's message", async () => {
    const vault = new FakeVault();
    vault.values.set("good-secret", "super-secret-value");
    vault.failures.set("bad-secret", () => restError(403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled"));
    const refs: SecretReference[] = [keyVaultSecret("good-secret"), keyVaultSecret("bad-secret")];
    const result = await resolverOver(vault).resolver.resolve(refs);
    expect(JSON.stringify(result)).not.toContain("super-secret-value");
  });
});
