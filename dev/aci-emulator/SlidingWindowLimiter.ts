export interface RateWindow {
  /** Suffix of the `x-ms-ratelimit-remaining-subscription-resource-requests-*` header (`pt5m`, `pt1h`). */
  readonly label: string;
  readonly durationMs: number;
  readonly limit: number;
}

/** ACI's create and delete quotas: 100 per 5 minutes and 300 per hour (aci-rest-api.md §10). */
export const ACI_RESOURCE_REQUEST_WINDOWS: readonly RateWindow[] = [
  { label: "pt5m", durationMs: 5 * 60_000, limit: 100 },
  { label: "pt1h", durationMs: 60 * 60_000, limit: 300 },
];

/** Counts events per key in sliding windows of the emulator's clock, so virtual time moves the windows too. */
export class SlidingWindowLimiter {
  readonly #events = new Map<string, number[]>();

  constructor(readonly windows: readonly RateWindow[]) {}

  /** Milliseconds until one more event fits in every window, or 0 when it fits now. */
  retryAfterMs(key: string, now: number): number {
    const events = this.#recent(key, now);
    let wait = 0;
    for (const window of this.windows) {
      const inWindow = events.filter((at) => at > now - window.durationMs);
      if (inWindow.length >= window.limit) {
        const oldestToExpire = inWindow[inWindow.length - window.limit] as number;
        wait = Math.max(wait, oldestToExpire + window.durationMs - now);
      }
    }
    return wait;
  }

  record(key: string, now: number): void {
    this.#recent(key, now).push(now);
  }

  remaining(key: string, now: number): Record<string, number> {
    const events = this.#recent(key, now);
    return Object.fromEntries(
      this.windows.map((window) => [window.label, Math.max(0, window.limit - events.filter((at) => at > now - window.durationMs).length)]),
    );
  }

  clear(): void {
    this.#events.clear();
  }

  #recent(key: string, now: number): number[] {
    const longest = Math.max(...this.windows.map((window) => window.durationMs));
    const events = (this.#events.get(key) ?? []).filter((at) => at > now - longest);
    this.#events.set(key, events);
    return events;
  }
}
