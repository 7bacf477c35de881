/**
 * Durable timers waiting to fire. On a real clock each one is armed with setTimeout; on a VirtualClock
 * nothing is armed and the host moves the clock to `earliest()` whenever it is idle.
 */
import { isVirtualClock, type Clock } from "../clock";

export interface DurableTimer {
  instanceId: string;
  executionId: string;
  /** The TimerCreated EventId, delivered back as TimerFired.TimerId. */
  eventId: number;
  fireAt: number;
  /** When the TimerCreated was written (TimerFired carries this Timestamp). */
  createdAt: number;
}

/**
 * When a timer's TimerFired reaches the orchestration on the Azure Storage provider (DurableTask.AzureStorage
 * 2.11, the version extension 3.19 uses; durable-functions.md §21):
 * - **Visible up to a second early.** It is a control-queue message made visible after `FireAt - now`,
 *   which the queue API takes in whole seconds (`TaskHubQueue.GetVisibilityDelay`; Azure.Storage.Queues
 *   truncates `visibilitytimeout`), so the orchestration can see `currentUtcDateTime` before the time it
 *   asked to wake up at.
 * - **Picked up at the queue's next poll.** Sending the timer message resets its control queue's polling
 *   (`TaskHubQueue.AddMessageAsync` → `BackoffPollingHelper.Reset`): polls then come 50 ms apart and each
 *   following wait is `50 ms + 2^(k-1) × 50 ms` (×0.8–1.2 jitter, taken here at 1), until the wait reaches
 *   `maxQueuePollingInterval`, after which it is exactly that. So a 2 s timer is picked up at 3.5 s, a
 *   10 s one at 13.2 s (measured on the real extension: 2.4–3.3 s late), a long one up to the maximum late.
 * Other messages that reset the same queue (another instance's, an activity's result) would bring a poll
 * sooner; ignoring them makes this the later, cautious end of what Azure does. Not modelled: on Azure
 * "now" is when the episode's messages are sent, a little after the episode's own time.
 */
export function timerDeliveryTime(timer: Pick<DurableTimer, "createdAt" | "fireAt">, maxQueuePollingMs: number = DEFAULT_MAX_QUEUE_POLLING_MS): number {
  const delay = Math.max(0, timer.fireAt - timer.createdAt);
  const visibleAfter = Math.floor(delay / 1000) * 1000;
  return timer.createdAt + nextPollAtOrAfter(visibleAfter, maxQueuePollingMs);
}

/** DurableTask.AzureStorage's default `MaxQueuePollingInterval` (the extension's, off Flex Consumption). */
export const DEFAULT_MAX_QUEUE_POLLING_MS = 30_000;

/** The first poll of a control queue at or after `offset` ms since its polling was reset (BackoffPollingHelper). */
export function nextPollAtOrAfter(offset: number, maxQueuePollingMs: number): number {
  const max = Math.max(50, maxQueuePollingMs);
  let at = 0;
  let wait = 50;
  for (let k = 1; at < offset; k++) {
    // Past the ramp every wait is the maximum: jump straight to the poll.
    if (wait >= max) return at + Math.ceil((offset - at) / max) * max;
    at += wait;
    wait = Math.min(max, 50 + 2 ** (k - 1) * 50);
  }
  return at;
}

/** setTimeout's largest delay; longer waits are re-armed when they wake up early. */
const MAX_TIMEOUT_MS = 2_147_483_647;

export class TimerQueue {
  readonly #timers = new Map<DurableTimer, NodeJS.Timeout | undefined>();

  constructor(
    private readonly clock: Clock,
    private readonly onMaybeDue: () => void,
    private readonly maxQueuePollingMs: number = DEFAULT_MAX_QUEUE_POLLING_MS,
  ) {}

  get size(): number {
    return this.#timers.size;
  }

  add(timer: DurableTimer): void {
    this.#timers.set(timer, undefined);
    this.#arm(timer);
  }

  /** Removes the timers matching `predicate` (cancelled timers, finished or purged executions). */
  remove(predicate: (timer: DurableTimer) => boolean): void {
    for (const [timer, handle] of this.#timers) {
      if (!predicate(timer)) continue;
      if (handle !== undefined) clearTimeout(handle);
      this.#timers.delete(timer);
    }
  }

  /** Removes and returns the timers whose fire time has come, earliest first. */
  takeDue(): DurableTimer[] {
    const now = this.clock.now();
    const due = [...this.#timers.keys()].filter((timer) => timerDeliveryTime(timer, this.maxQueuePollingMs) <= now).sort((a, b) => a.fireAt - b.fireAt || a.eventId - b.eventId);
    this.remove((timer) => due.includes(timer));
    return due;
  }

  earliest(): number | undefined {
    let earliest: number | undefined;
    for (const timer of this.#timers.keys()) {
      const at = timerDeliveryTime(timer, this.maxQueuePollingMs);
      if (earliest === undefined || at < earliest) earliest = at;
    }
    return earliest;
  }

  forInstance(instanceId: string): DurableTimer[] {
    return [...this.#timers.keys()].filter((timer) => timer.instanceId === instanceId);
  }

  dispose(): void {
    this.remove(() => true);
  }

  #arm(timer: DurableTimer): void {
    if (isVirtualClock(this.clock)) return;
    const delay = Math.max(0, Math.min(timerDeliveryTime(timer, this.maxQueuePollingMs) - this.clock.now(), MAX_TIMEOUT_MS));
    const handle = setTimeout(() => {
      if (!this.#timers.has(timer)) return;
      if (timerDeliveryTime(timer, this.maxQueuePollingMs) > this.clock.now()) this.#arm(timer);
      else this.onMaybeDue();
    }, delay);
    this.#timers.set(timer, handle);
  }
}
