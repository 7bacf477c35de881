export type Fault =
  /** ARM throttling. Without `retryAfterSeconds` there is no Retry-After header, which the SDK does not retry. */
  | { readonly status: 429; readonly retryAfterSeconds?: number }
  | { readonly status: 500 | 503; readonly code?: string; readonly message?: string; readonly retryAfterSeconds?: number }
  /** Any other ARM error, e.g. 403 AuthorizationFailed (a missing role) or 404 ResourceGroupNotFound. */
  | { readonly status: 400 | 401 | 403 | 404 | 409; readonly code: string; readonly message: string }
  /** The connection drops before the request is processed: the client sees ECONNRESET. */
  | { readonly kind: "reset" }
  /** The request is processed (a PUT creates, a DELETE deletes), then the connection drops: the answer is lost. */
  | { readonly kind: "lostResponse" }
  /** The request is processed and the answer never comes: the connection stays open until the client gives up. */
  | { readonly kind: "noAnswer" }
  /** A 200 with this body instead of the real answer, e.g. logs whose `content` is null (aci-rest-api.md §7 allows it). */
  | { readonly kind: "body"; readonly body: unknown }
  /** The request waits until `until` settles, then is served as usual: a call in flight for as long as a test needs. */
  | { readonly kind: "held"; readonly until: Promise<unknown> };

export interface FaultRule {
  /** HTTP method to match (any when omitted). */
  readonly method?: string;
  /** A RegExp tested against the request path, or a substring of it (any path when omitted). */
  readonly path?: RegExp | string;
  /** How many matching requests get the fault. Default 1. */
  readonly times?: number;
  readonly fault: Fault;
}

/** Faults for the next matching ARM requests, consumed in the order they were injected. */
export class FaultInjector {
  readonly #rules: { rule: FaultRule; remaining: number }[] = [];

  inject(rule: FaultRule): void {
    this.#rules.push({ rule, remaining: rule.times ?? 1 });
  }

  take(method: string, path: string): Fault | undefined {
    const index = this.#rules.findIndex(({ rule }) => matches(rule, method, path));
    const entry = this.#rules[index];
    if (entry === undefined) return undefined;
    if (--entry.remaining <= 0) this.#rules.splice(index, 1);
    return entry.rule.fault;
  }

  /** Faults injected but not delivered yet. */
  pending(): number {
    return this.#rules.reduce((sum, { remaining }) => sum + remaining, 0);
  }

  clear(): void {
    this.#rules.length = 0;
  }
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== method.toUpperCase()) return false;
  if (rule.path === undefined) return true;
  return typeof rule.path === "string" ? path.includes(rule.path) : new RegExp(rule.path.source, rule.path.flags.replace("g", "")).test(path);
}
