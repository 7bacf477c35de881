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
    const due = [...this.#timers.keys()].filter((timer) => timer.fireAt <= now).sort((a, b) => a.fireAt - b.fireAt || a.eventId - b.eventId);
    this.remove((timer) => due.includes(timer));
    return due;
  }

  earliest(): number | undefined {
    let earliest: number | undefined;
    for (const timer of this.#timers.keys()) if (earliest === undefined || timer.fireAt < earliest) earliest = timer.fireAt;
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
    const delay = Math.max(0, Math.min(timer.fireAt - this.clock.now(), MAX_TIMEOUT_MS));
    const handle = setTimeout(() => {
      if (!this.#timers.has(timer)) return;
      if (timer.fireAt > this.clock.now()) this.#arm(timer);
      else this.onMaybeDue();
    }, delay);
    this.#timers.set(timer, handle);
  }
}
