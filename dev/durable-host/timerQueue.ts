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
 * When a timer's TimerFired reaches the orchestration. The Azure Storage provider sends it as a queue
 * message made visible after `FireAt - now`, which the queue service takes in whole seconds
 * (DurableTask.AzureStorage `TaskHubQueue.GetVisibilityDelay`; Queue's `visibilitytimeout` is in seconds),
 * so it can arrive up to a second before FireAt, and the orchestration then sees `currentUtcDateTime`
 * earlier than the time it asked to wake up at (durable-functions.md §21, measured again by
 * test/conformance). The imitation takes that earliest moment.
 *
 * Not modelled yet: on Azure, "now" is when the episode's messages are sent, a little after the episode's
 * own time, so a timer set a whole number of seconds ahead also comes about a second early (the real
 * extension's watch looked every ~9.5 s where it asked for 10); and delivery is late by the queue's
 * polling. Here a whole-second delay is exact, which keeps virtual time from spinning on timers due "now".
 */
export function timerDeliveryTime(timer: Pick<DurableTimer, "createdAt" | "fireAt">): number {
  const delay = Math.max(0, timer.fireAt - timer.createdAt);
  return timer.createdAt + Math.floor(delay / 1000) * 1000;
}

/** setTimeout's largest delay; longer waits are re-armed when they wake up early. */
const MAX_TIMEOUT_MS = 2_147_483_647;

export class TimerQueue {
  readonly #timers = new Map<DurableTimer, NodeJS.Timeout | undefined>();

  constructor(
    private readonly clock: Clock,
    private readonly onMaybeDue: () => void,
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
    const due = [...this.#timers.keys()].filter((timer) => timerDeliveryTime(timer) <= now).sort((a, b) => a.fireAt - b.fireAt || a.eventId - b.eventId);
    this.remove((timer) => due.includes(timer));
    return due;
  }

  earliest(): number | undefined {
    let earliest: number | undefined;
    for (const timer of this.#timers.keys()) {
      const at = timerDeliveryTime(timer);
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
    const delay = Math.max(0, Math.min(timerDeliveryTime(timer) - this.clock.now(), MAX_TIMEOUT_MS));
    const handle = setTimeout(() => {
      if (!this.#timers.has(timer)) return;
      if (timerDeliveryTime(timer) > this.clock.now()) this.#arm(timer);
      else this.onMaybeDue();
    }, delay);
    this.#timers.set(timer, handle);
  }
}
