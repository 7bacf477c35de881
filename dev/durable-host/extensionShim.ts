/**
 * The Durable extension's side of one orchestration execution: it replays the orchestrator's action list
 * through its own context and turns it into new history events.
 *
 * Model (`OutOfProcOrchestrationShim.ProcessAsyncActionsV2`, used for schema V2 and later): the shim walks the
 * append-only action list in order and awaits each action before invoking the next; DurableTask.Core feeds
 * the episode's new events to the open tasks in history order, and whatever is scheduled along the way gets
 * the next sequence numbers. The real extension re-runs this from the first event on every episode; the
 * host keeps the state between episodes instead, which gives the same numbers because the list is
 * append-only (checked below, like DurableTask.Core's non-determinism check). Only `isCanceled` of timers
 * can change on an old action; it is re-applied at the start of each episode, as the shim does when it
 * replays the action.
 */
import { EventType, type EventRaisedEvent, type HistoryEvent } from "./historyEvents";
import { describeAction, type OrchestratorStateJson, type WireAction } from "./orchestratorState";
import {
  actionSignature,
  ContinueAsNewRequest,
  ExternalEventRouter,
  invokeAction,
  ShimError,
  type Decision,
  type ShimContext,
  type ShimTask,
} from "./shimTasks";

/** What the orchestrator invocation produced, as the extension sees it. */
export type OrchestratorAnswer =
  | { kind: "state"; state: OrchestratorStateJson }
  /** The orchestrator threw. `state` is present when the library attached it (`$OutOfProcData$`). */
  | { kind: "error"; state: OrchestratorStateJson | undefined; message: string; stack: string };

export type ExecutionOutcome =
  | { kind: "completed"; output: unknown }
  | { kind: "failed"; reason: string; details: string | null }
  | { kind: "continuedAsNew"; input: unknown; carryover: EventRaisedEvent[] };

export interface EpisodeResult {
  decisions: Decision[];
  cancelledTimerIds: number[];
  outcome: ExecutionOutcome | undefined;
  /** Diagnostics for states the real extension would also get stuck in. */
  warnings: string[];
}

const COMPLETION_EVENT_ID_KEY: Readonly<Partial<Record<number, "TaskScheduledId" | "TimerId">>> = {
  [EventType.TaskCompleted]: "TaskScheduledId",
  [EventType.TaskFailed]: "TaskScheduledId",
  [EventType.SubOrchestrationInstanceCompleted]: "TaskScheduledId",
  [EventType.SubOrchestrationInstanceFailed]: "TaskScheduledId",
  [EventType.TimerFired]: "TimerId",
};

export class ExecutionShim {
  readonly externalEvents = new ExternalEventRouter();
  readonly #tasks: ShimTask[] = [];
  readonly #openEvents = new Map<number, (event: HistoryEvent, context: ShimContext) => void>();
  #nextEventId = 0;
  /** Index of the action the shim awaits. */
  #cursor = 0;
  #started = false;
  #continueAsNew: ContinueAsNewRequest | undefined;

  constructor(
    readonly orchestrationName: string,
    readonly executionId: string,
  ) {}

  /** The sequence number the next scheduling event (or the completion event) will take. */
  get nextEventId(): number {
    return this.#nextEventId;
  }

  /** Sequence numbers the orchestration still waits on (activities, timers, sub-orchestrations). */
  get openEventIds(): number[] {
    return [...this.#openEvents.keys()];
  }

  /** Orchestration failure message in the extension's words (`OutOfProcOrchestrationShim.ScheduleDurableTaskEvents`). */
  failureReason(message: string): string {
    return `Orchestrator function '${this.orchestrationName}' failed: ${message}`;
  }

  /**
   * Processes one episode: `newEvents` are the events delivered in it (after its OrchestratorStarted),
   * `now` its OrchestratorStarted time, `answer` what the orchestrator returned for the whole history.
   */
  runEpisode(answer: OrchestratorAnswer, newEvents: readonly HistoryEvent[], now: number): EpisodeResult {
    const decisions: Decision[] = [];
    const cancelledTimerIds: number[] = [];
    const warnings: string[] = [];
    const carryover: EventRaisedEvent[] = [];
    const context = this.#context(now, decisions, cancelledTimerIds);
    const actions = answer.state?.actions[0] ?? [];

    const fail = (error: Error): EpisodeResult => ({
      decisions,
      cancelledTimerIds,
      warnings,
      outcome: { kind: "failed", reason: this.failureReason(error.message), details: `Message: ${error.message}, StackTrace: ${error.stack ?? ""}` },
    });

    // OutOfProcOrchestrationShim sets the custom status before it replays any action, through
    // MessagePayloadDataConverter.Serialize(status, 16): over 16 KB of UTF-16 JSON it throws and the
    // orchestration fails, having scheduled nothing in this episode.
    const customStatusProblem = customStatusTooLarge(answer.state?.customStatus);
    if (customStatusProblem) return fail(new Error(customStatusProblem));

    if (answer.state === undefined && answer.kind === "error") {
      // The function threw before producing a state (e.g. a replay error inside the library).
      return {
        decisions,
        cancelledTimerIds,
        warnings,
        outcome: { kind: "failed", reason: this.failureReason(answer.message), details: `Message: ${answer.message}, StackTrace: ${answer.stack}` },
      };
    }

    try {
      this.#checkDeterminism(actions);
      this.#tasks.forEach((task, index) => {
        const action = actions[index];
        if (action) task.refresh(action, context);
      });
      for (const event of newEvents) {
        if (event.EventType === EventType.EventRaised && this.#continueAsNew !== undefined) {
          // BehaviorOnContinueAsNew.Carryover: events that arrive after the decision go to the next generation.
          carryover.push(event as EventRaisedEvent);
          continue;
        }
        this.#deliver(event, context);
        this.#advance(actions, context);
      }
      this.#advance(actions, context);
    } catch (error) {
      if (error instanceof ShimError) return fail(error);
      throw error;
    }

    return { decisions, cancelledTimerIds, warnings, outcome: this.#outcome(answer, actions, carryover, warnings) };
  }

  #outcome(
    answer: OrchestratorAnswer,
    actions: readonly WireAction[],
    carryover: EventRaisedEvent[],
    warnings: string[],
  ): ExecutionOutcome | undefined {
    const caughtUp = this.#started && this.#cursor === actions.length;
    const orchestratorFinished = answer.kind === "error" || answer.state.isDone;
    if (!caughtUp) {
      const awaited = actions[this.#cursor];
      if (orchestratorFinished || actions.length > this.#cursor + 1) {
        warnings.push(
          `The extension is still awaiting action #${this.#cursor} (${awaited ? describeAction(awaited) : "?"}); ` +
            `the orchestrator has moved on, but later actions and its result are only processed once it completes ` +
            `(Task.all waits for every task on the extension side).`,
        );
      }
      return undefined;
    }
    if (answer.kind === "error") {
      return {
        kind: "failed",
        reason: this.failureReason(answer.message),
        details: `Message: ${answer.message}, StackTrace: ${answer.stack}`,
      };
    }
    if (!answer.state.isDone) return undefined;
    if (this.#continueAsNew !== undefined) return { kind: "continuedAsNew", input: this.#continueAsNew.input, carryover };
    return { kind: "completed", output: answer.state.output };
  }

  #checkDeterminism(actions: readonly WireAction[]): void {
    this.#tasks.forEach((task, index) => {
      const action = actions[index];
      const expected = task.signature;
      const actual = action ? actionSignature(action) : "(nothing)";
      if (expected !== actual) {
        throw new ShimError(
          `Non-Deterministic workflow detected: action #${index} was ${expected} in an earlier episode but is now ` +
            `${action ? describeAction(action) : "missing"} (signature ${actual}).`,
        );
      }
    });
  }

  #deliver(event: HistoryEvent, context: ShimContext): void {
    if (event.EventType === EventType.ExecutionStarted) {
      this.#started = true;
      return;
    }
    if (event.EventType === EventType.EventRaised) {
      this.externalEvents.raise(event as EventRaisedEvent);
      return;
    }
    const idKey = COMPLETION_EVENT_ID_KEY[event.EventType];
    if (idKey === undefined) return;
    const eventId = (event as unknown as Record<string, unknown>)[idKey];
    if (typeof eventId !== "number") return;
    const onEvent = this.#openEvents.get(eventId);
    // Unknown ids are duplicates or belong to cancelled tasks: DurableTask.Core logs and ignores them.
    if (onEvent === undefined) return;
    this.#openEvents.delete(eventId);
    onEvent(event, context);
  }

  /** The shim's loop: invoke the next action once the awaited one is complete. */
  #advance(actions: readonly WireAction[], context: ShimContext): void {
    if (!this.#started) return;
    for (;;) {
      const current = this.#tasks[this.#cursor];
      if (current !== undefined) {
        if (!current.isComplete()) return;
        this.#cursor += 1;
        continue;
      }
      const next = actions[this.#cursor];
      if (next === undefined) return;
      const task = invokeAction(next, context);
      if (task instanceof ContinueAsNewRequest) this.#continueAsNew = task;
      this.#tasks.push(task);
    }
  }

  #context(now: number, decisions: Decision[], cancelledTimerIds: number[]): ShimContext {
    return {
      now,
      executionId: this.executionId,
      externalEvents: this.externalEvents,
      allocateEventId: () => this.#nextEventId++,
      decide: (decision) => decisions.push(decision),
      awaitEvent: (eventId, onEvent) => this.#openEvents.set(eventId, onEvent),
      forgetEvent: (eventId) => this.#openEvents.delete(eventId),
      timerCancelled: (eventId) => cancelledTimerIds.push(eventId),
    };
  }

  /** Takes the completion event's sequence number (`CompleteOrchestration`: `idCounter++`). */
  allocateCompletionEventId(): number {
    return this.#nextEventId++;
  }
}

/** The extension's message when a custom status exceeds 16 KB of UTF-16 JSON, or undefined when it fits. */
export function customStatusTooLarge(customStatus: unknown): string | undefined {
  if (customStatus === undefined || customStatus === null) return undefined;
  const kilobytes = Math.trunc(Buffer.byteLength(JSON.stringify(customStatus), "utf16le") / 1024);
  return kilobytes > 16
    ? `The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is ${kilobytes} KB.`
    : undefined;
}
