/**
 * @module
 * A run's cancel signal as an orchestration sees it: the external event `cancel` (RunEvents), raced
 * against what the orchestration waits for. Two traits of durable-functions 3.x shape this
 * (`WhenAnyTask`, `TaskOrchestrationExecutor`): Task.any leaves the losers running, so a losing timer is
 * cancelled here and a losing activity or sub-orchestration is awaited by the caller; and a Task.any built
 * over a task that has already finished never resolves through it, so once the event has arrived it is
 * only read, never raced again.
 */
import type * as df from "durable-functions";
import { RunEvents, type CancelRequest, type RunPhase } from "../runs/contracts";
import { now } from "./calls";

/** Longest `by` and `reason` kept from an event (the HTTP route allows less; this guards raw raiseEvent calls). */
const MAX_BY_LENGTH = 200;
const MAX_REASON_LENGTH = 1_000;

export class CancelSignal {
  readonly #event: df.Task;
  #request: CancelRequest | undefined;
  #phase: RunPhase | undefined;

  constructor(private readonly context: df.OrchestrationContext) {
    this.#event = context.df.waitForExternalEvent(RunEvents.cancel);
  }

  /**
   * The cancel, once it has reached the orchestration, and the phase it was first noticed in. Once noticed
   * it stays: a later request (cancelling twice) changes nothing. Two requests that reach the run in the
   * same episode leave the later one's data in the event task; either is a true record.
   */
  notice(phase: RunPhase): CancelRequest | undefined {
    if (!this.#request && this.#event.isCompleted) this.adopt(this.#event.result, phase);
    return this.#request;
  }

  get request(): CancelRequest | undefined {
    return this.#request;
  }

  get phase(): RunPhase | undefined {
    return this.#phase;
  }

  /** Takes a cancel that arrived another way (the watch received it first and ended). */
  adopt(data: unknown, phase: RunPhase): void {
    if (this.#request) return;
    this.#request = cancelRequestOf(data, new Date(now(this.context)).toISOString());
    this.#phase = phase;
  }

  /**
   * Waits for `task` or the cancel, whichever comes first; true when the cancel came first (or had already
   * come). `task` is then still pending: the caller must await it (or cancel it, for a timer).
   */
  *races(task: df.Task, phase: RunPhase): Generator<df.Task, boolean, unknown> {
    if (this.notice(phase)) return true;
    const first = yield this.context.df.Task.any([task, this.#event]);
    if (first !== this.#event) return false;
    this.notice(phase);
    return true;
  }

  /** A durable timer until `time`, cut short by the cancel; true when the cancel came first. */
  *sleepsUntil(time: number, phase: RunPhase): Generator<df.Task, boolean, unknown> {
    if (this.notice(phase)) return true;
    const timer = this.context.df.createTimer(new Date(time));
    if (!(yield* this.races(timer, phase))) return false;
    timer.cancel();
    return true;
  }
}

/** The event's data as a request, whatever a raw raiseEvent sent: strings only, bounded. */
export function cancelRequestOf(data: unknown, receivedAt: string): CancelRequest {
  const fields = typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {};
  const text = (value: unknown, max: number) => (typeof value === "string" && value.trim() !== "" ? value.slice(0, max) : undefined);
  const requestedAt = typeof fields.requestedAt === "string" && !Number.isNaN(Date.parse(fields.requestedAt)) ? fields.requestedAt : receivedAt;
  const by = text(fields.by, MAX_BY_LENGTH);
  const reason = text(fields.reason, MAX_REASON_LENGTH);
  return { requestedAt, ...(by ? { by } : {}), ...(reason ? { reason } : {}) };
}
