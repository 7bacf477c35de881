/**
 * An identity that cannot get a token, or has no role for the call, ends the run at once with a reason that
 * says so and what to check: no retry (every request would fail the same way), nothing created, no silence.
 * The credential failure is the real @azure/identity one: DefaultAzureCredential's chain with nothing usable
 * throws AggregateAuthenticationError, as on a laptop without `az login`.
 */
import { ChainedTokenCredential, DefaultAzureCredential, EnvironmentCredential, type AccessToken, type GetTokenOptions, type TokenCredential } from "@azure/identity";
import { beforeEach, describe, expect, it } from "vitest";
import { keyVaultSecret } from "../../src/jobs/secretReference";
import { useHarness } from "./harness";

/** The emulator's managed identity, until `broken` is set: then a chain of credentials none of which works. */
class SwitchableCredential implements TokenCredential {
  broken = false;
  #working: TokenCredential | undefined;
  calls = 0;
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    this.calls += 1;
    if (this.broken) {
      for (const name of ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_USERNAME"]) delete process.env[name];
      return new ChainedTokenCredential(new EnvironmentCredential()).getToken(scopes, options);
    }
    this.#working ??= new DefaultAzureCredential();
    return this.#working.getToken(scopes, options);
  }
}

const credential = new SwitchableCredential();
const jobs = [
  { id: "plain", retries: 3, retryDelay: "1m", retryOn: ["exitCode", "capacity", "azureUnavailable", "provisioning"], container: { image: "hello-world" } },
  { id: "with_secret", retries: 3, retryDelay: "1m", container: { image: "hello-world", environment: { DB_PASSWORD: keyVaultSecret("db-password") } } },
];
const h = useHarness(jobs, { credential, secrets: { "db-password": "s3cret-value" } });

beforeEach(() => {
  credential.broken = false;
});

describe("an identity that cannot get a token", () => {
  it("ends the run as credentialUnavailable in one attempt, with the identity's error and an az login hint", async () => {
    credential.broken = true;
    const startedAt = h.app.clock.now();
    const { result } = await h.run("plain");

    expect(result.status).toBe("failed");
    expect(result.attempts).toEqual([expect.objectContaining({ attempt: 1, reason: "credentialUnavailable", retryable: false, cleanup: "notCreated" })]);
    expect(result.detail).toMatch(/could not get an Azure token for creating container group .*\(CredentialUnavailable\): ChainedTokenCredential authentication failed/u);
    expect(result.detail).toMatch(/EnvironmentCredential is unavailable/u);
    expect(result.detail).toMatch(/az login/u);
    // Nothing reached ARM, no activity retry waited: the run ended within virtual seconds, not minutes.
    expect(h.app.emulator!.requests).toEqual([]);
    expect(h.app.clock.now() - startedAt).toBeLessThan(10_000);
    const retried = h.logs.filter((r) => /createContainerGroup/u.test(r.message) && /retry/iu.test(r.message));
    expect(retried).toEqual([]);
  });

  it("says the same when the first call is reading the job's Key Vault secret", async () => {
    credential.broken = true;
    const { result } = await h.run("with_secret");

    expect(result.attempts).toEqual([expect.objectContaining({ reason: "credentialUnavailable", retryable: false, cleanup: "notCreated" })]);
    expect(result.detail).toMatch(/could not get an Azure token for reading Key Vault secret "db-password" \(CredentialUnavailable\)/u);
    expect(result.detail).not.toContain("s3cret-value");
  });
});

describe("an identity without the role", () => {
  it("ends the run as forbidden in one attempt, naming the role to assign", async () => {
    const refusal = {
      status: 403,
      code: "AuthorizationFailed",
      message:
        "The client 'f1e2' with object id 'f1e2' does not have authorization to perform action 'Microsoft.ContainerInstance/containerGroups/read' over scope '/subscriptions/0/resourceGroups/rg-aci-jobs-local/providers/Microsoft.ContainerInstance/containerGroups/g' or the scope is invalid.",
    } as const;
    h.app.emulator!.injectFault({ times: 100, fault: refusal });
    const { result } = await h.run("plain");
    h.app.emulator!.clearFaults();

    expect(result.attempts).toEqual([expect.objectContaining({ attempt: 1, reason: "forbidden", retryable: false, cleanup: "notCreated" })]);
    expect(result.detail).toMatch(/not allowed to do this, creating container group .*\(AuthorizationFailed\): The client 'f1e2'/u);
    expect(result.detail).toMatch(/aci-jobs container group runner/u);
    // One existence check, refused once: the client does not retry a 403, nor does Durable.
    expect(h.app.emulator!.requests.map((r) => `${r.method} ${r.status}`)).toEqual(["GET 403"]);
  });
});
