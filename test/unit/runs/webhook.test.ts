/**
 * Posting a job's notification: the webhook URL (a Key Vault secret) is read just before the POST and
 * never appears in a result or an error; faults a retry may cure are thrown, refusals returned.
 */
import { describe, expect, it } from "vitest";
import { keyVaultSecret, secretKey } from "../../../src/jobs/secretReference";
import { postNotification } from "../../../src/runs/webhook";
import { missedNotification } from "../../../src/runs/notification";
import type { SecretResolver } from "../../../src/secrets";

const webhook = keyVaultSecret("ops-webhook");
const notification = { ...missedNotification("nightly", "2026-12-05T00:00:00.000Z", 1, "slot skipped"), runId: "nightly-scheduled-20261205T000000Z" };

function vault(url: string): SecretResolver {
  return {
    resolve: async () => ({ ok: true, values: new Map([[secretKey(webhook), url]]) }),
    redactionValues: async () => ({ ok: true, values: [url] }),
  };
}

function answering(status: number, seen: Array<{ url: string; body: unknown }> = []): typeof fetch {
  return (async (url: string | URL | Request, init?: RequestInit) => {
    seen.push({ url: String(url), body: JSON.parse(String(init?.body)) });
    return new Response("ok", { status });
  }) as typeof fetch;
}

describe("postNotification", () => {
  it("posts the notification with a link to the run, and says it was delivered", async () => {
    const seen: Array<{ url: string; body: unknown }> = [];
    const sent = await postNotification({ secrets: vault("https://hooks.example/T1/B2/token"), baseUrl: "https://func-x.azurewebsites.net", fetch: answering(200, seen) }, webhook, notification);
    expect(sent).toEqual({ delivered: true, status: 200 });
    expect(seen[0]!.url).toBe("https://hooks.example/T1/B2/token");
    expect(seen[0]!.body).toMatchObject({ runUrl: "https://func-x.azurewebsites.net/api/jobs/nightly/runs/nightly-scheduled-20261205T000000Z" });
  });

  it("throws for answers a retry may change (408, 429, 5xx), and returns the others as final", async () => {
    const secrets = vault("https://hooks.example/T1/B2/token");
    for (const status of [408, 429, 500, 503]) {
      await expect(postNotification({ secrets, fetch: answering(status) }, webhook, notification)).rejects.toThrow(`answered ${status}`);
    }
    expect(await postNotification({ secrets, fetch: answering(404) }, webhook, notification)).toEqual({ delivered: false, error: "The webhook answered 404." });
  });

  it("never names the address in an error, whole or in part", async () => {
    const url = "https://hooks.internal.example:8443/services/secret-token";
    const failing = (async () => {
      throw new TypeError("fetch failed", { cause: new Error("getaddrinfo ENOTFOUND hooks.internal.example at hooks.internal.example:8443") });
    }) as typeof fetch;
    const error = await postNotification({ secrets: vault(url), fetch: failing }, webhook, notification).catch((e: Error) => e.message);
    expect(error).toMatch(/^The webhook did not answer: fetch failed/u);
    expect(error).not.toContain("hooks.internal.example");
    expect(error).not.toContain("8443");
  });

  it("refuses, without posting or retrying, a secret that is no http(s) URL or one with credentials in it", async () => {
    const seen: Array<{ url: string; body: unknown }> = [];
    for (const url of ["not a url", "ftp://hooks.example/x", "https://user:pass@hooks.example/x"]) {
      const sent = await postNotification({ secrets: vault(url), fetch: answering(200, seen) }, webhook, notification);
      expect(sent.delivered).toBe(false);
      expect(JSON.stringify(sent)).not.toContain("pass");
    }
    expect(seen).toEqual([]);
  });
});
