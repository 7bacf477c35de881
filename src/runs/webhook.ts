/**
 * @module
 * Posting a notification to a job's webhook (job field `notify`). The URL is a Key Vault secret, read
 * here just before the POST and kept out of every message: an incoming-webhook URL is a credential.
 * Faults a retry may cure (no answer, 408, 429, 5xx) are thrown; refusals are returned.
 */
import type { SecretReference } from "../jobs/secretReference";
import { secretKey } from "../jobs/secretReference";
import type { SecretResolver } from "../secrets";
import { withRunUrl, type RunNotification } from "./notification";

export interface WebhookDeps {
  readonly secrets: SecretResolver;
  /** The app's address, for the link to the run. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
}

/** `delivered: false` only for answers a retry will not change (4xx, an unreadable webhook secret). */
export type WebhookResult = { readonly delivered: true; readonly status: number } | { readonly delivered: false; readonly error: string };

/** How long a webhook may take to answer before the try counts as failed. */
const WEBHOOK_TIMEOUT_MS = 10_000;

export async function postNotification(deps: WebhookDeps, webhook: SecretReference, notification: RunNotification): Promise<WebhookResult> {
  const resolved = await deps.secrets.resolve([webhook]);
  if (!resolved.ok) return { delivered: false, error: `The webhook's Key Vault secret "${resolved.secret}" cannot be read: ${resolved.code}.` };
  const url = resolved.values.get(secretKey(webhook))!;
  if (!URL.canParse(url) || !/^https?:$/u.test(new URL(url).protocol)) {
    return { delivered: false, error: `The webhook's Key Vault secret "${webhook.keyVaultSecret}" is not an http(s) URL.` };
  }
  const address = new URL(url);
  // fetch refuses a URL with credentials in it, every time: not worth a retry.
  if (address.username || address.password) {
    return { delivered: false, error: `The webhook's Key Vault secret "${webhook.keyVaultSecret}" is a URL with credentials in it, which cannot be posted to.` };
  }
  // A failed fetch names the address it could not reach (host, or host name alone): the URL is the secret.
  const hide = (text: string) => scrub(text, [url, address.host, address.hostname]);
  let response: Response;
  try {
    response = await (deps.fetch ?? fetch)(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(withRunUrl(notification, deps.baseUrl)),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await response.body?.cancel();
  } catch (error) {
    // No answer (refused, reset, timed out): worth another try. The message never carries the URL.
    throw new Error(`The webhook did not answer: ${hide(causeOf(error))}`);
  }
  if (response.ok) return { delivered: true, status: response.status };
  // 408, 429 and 5xx may pass; any other refusal will be the same next time.
  if (response.status === 408 || response.status === 429 || response.status >= 500) throw new Error(`The webhook answered ${response.status}.`);
  return { delivered: false, error: `The webhook answered ${response.status}.` };
}

/** Outside an orchestration (a timer's missed slots): the same post, tried up to `tries` times, `delayMs` apart. */
export async function postNotificationRetrying(
  deps: WebhookDeps,
  webhook: SecretReference,
  notification: RunNotification,
  tries = 3,
  delayMs = 5_000,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<WebhookResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await postNotification(deps, webhook, notification);
    } catch (error) {
      if (attempt >= tries) return { delivered: false, error: error instanceof Error ? error.message : String(error) };
      await sleep(delayMs);
    }
  }
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const message = error instanceof Error ? error.message : String(error);
  return cause instanceof Error ? `${message} (${cause.message})` : message;
}

/** Longest first, so a host is hidden whole before its name alone. */
function scrub(text: string, values: readonly string[]): string {
  return [...values]
    .filter((value) => value.length >= 4)
    .sort((a, b) => b.length - a.length)
    .reduce((out, value) => out.split(value).join("[redacted]"), text);
}
