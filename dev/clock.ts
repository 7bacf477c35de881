/**
 * Time for the local tools. The ACI emulator and the in-process Durable host share one clock, so a
 * 24-hour container run can finish in seconds of wall time: the host jumps the clock to the next
 * durable timer whenever nothing else is running, and the emulator derives container states from it.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class VirtualClock implements Clock {
  #now: number;

  constructor(start: number | Date = Date.now()) {
    this.#now = typeof start === "number" ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward to `time`; never backwards, so replayed timestamps stay monotonic. */
  advanceTo(time: number): void {
    if (time > this.#now) this.#now = time;
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.#now + ms);
  }
}

export function isVirtualClock(clock: Clock): clock is VirtualClock {
  return clock instanceof VirtualClock;
}
