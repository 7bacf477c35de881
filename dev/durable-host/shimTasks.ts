/**
 * The extension-side tasks behind each orchestrator action.
 *
 * The Durable extension replays the action list a JavaScript orchestrator returns through its own .NET
 * orchestration context (`OutOfProcOrchestrationShim.InvokeAPIFromAction`). Every scheduling call there
 * takes the next sequence number (`TaskOrchestrationContext.idCounter++`), and DurableTask.Core matches
 * history events to open tasks by that number. These classes reproduce what each call does with its
 * number(s): which events it schedules, when it is complete, and what follow-up work it creates (retry
 * timers and re-attempts from `RetryInterceptor`, interval timers from the extension's long-timer loop).
 */
import { EventType, type EventRaisedEvent, type HistoryEvent } from "./historyEvents";
import { ActionType, describeAction, type WireAction } from "./orchestratorState";
import { nextRetryDelayMs, toRetryPolicy, type RetryPolicy } from "./retryPolicy";

/** What the host must do once the episode's events are written. */
export type Decision =
  | { kind: "scheduleActivity"; eventId: number; name: string; input: unknown }
  | { kind: "createTimer"; eventId: number; fireAt: number }
  | { kind: "createSubOrchestration"; eventId: number; name: string; instanceId: string; input: unknown };

/** Azure Storage limits that the extension advertises to the worker (`DurabilityProvider.MaximumDelayTime` etc.). */
export const MAXIMUM_SHORT_TIMER_MS = 6 * 24 * 3_600_000;
export const LONG_RUNNING_TIMER_INTERVAL_MS = 3 * 24 * 3_600_000;

/** Raised for actions the extension would reject or the in-process host does not implement. */
export class ShimError extends Error {
  override name = "ShimError";
}

/** Services the tasks need from the execution they belong to. */
export interface ShimContext {
  /** Orchestration time of the current episode (the .NET context's CurrentUtcDateTime). */
  readonly now: number;
  readonly executionId: string;
  allocateEventId(): number;
  decide(decision: Decision): void;
  /**
   * Routes the completion event carrying `eventId` (TaskScheduledId / TimerId) to `onEvent`, together with
   * the context of the episode that delivers it (its time and its decision list).
   */
  awaitEvent(eventId: number, onEvent: (event: HistoryEvent, context: ShimContext) => void): void;
  forgetEvent(eventId: number): void;
  timerCancelled(eventId: number): void;
  readonly externalEvents: ExternalEventRouter;
}

export interface ShimTask {
  /** Compared on every replay, as DurableTask.Core compares scheduled events with the new actions. */
  readonly signature: string;
  isComplete(): boolean;
  /** Applies `isCanceled` from the latest action list (the shim cancels timers when it replays them). */
  refresh(action: WireAction, context: ShimContext): void;
}

/**
 * `DurableOrchestrationContext.RaiseEvent` / `WaitForExternalEvent`: names compare case-insensitively; an
 * event nobody waits for is queued (first in, first out), and among several waiters for one name the most
 * recent gets the event (the extension keeps them on a stack so that waits abandoned in a Task.any loop do
 * not swallow events; durable-functions pops its open events the same way).
 */
export class ExternalEventRouter {
  readonly #buffered = new Map<string, EventRaisedEvent[]>();
  readonly #waiters = new Map<string, ExternalEventWait[]>();

  raise(event: EventRaisedEvent): void {
    const key = event.Name.toLowerCase();
    const waiter = this.#waiters.get(key)?.pop();
    if (waiter) waiter.receive();
    else this.#buffered.set(key, [...(this.#buffered.get(key) ?? []), event]);
  }

  wait(waiter: ExternalEventWait): void {
    const key = waiter.eventName.toLowerCase();
    if (this.#buffered.get(key)?.shift()) waiter.receive();
    else this.#waiters.set(key, [...(this.#waiters.get(key) ?? []), waiter]);
  }

  /** Names somebody waits for, for the host's "cannot make progress" diagnostics. */
  awaitedNames(): string[] {
    return [...new Set([...this.#waiters.values()].flat().map((waiter) => waiter.eventName))];
  }
}

abstract class LeafTask implements ShimTask {
  protected done = false;
  abstract readonly signature: string;

  isComplete(): boolean {
    return this.done;
  }

  refresh(_action: WireAction, _context: ShimContext): void {}
}

/** `ScheduleTask` / `CreateSubOrchestrationInstance` without retries: one number, done on its completion event. */
class SingleCall extends LeafTask {
  readonly signature: string;

  constructor(context: ShimContext, readonly target: CallTarget) {
    super();
    this.signature = target.signature;
    const eventId = target.schedule(context);
    context.awaitEvent(eventId, () => {
      this.done = true;
    });
  }
}

/**
 * `RetryInterceptor.Invoke`: attempt, and after each failure a timer (even after the last attempt; only
 * when that timer fires does the call give up), unless the retry timeout has passed (no timer then).
 */
class RetryingCall extends LeafTask {
  readonly signature: string;
  readonly #firstAttemptAt: number;
  #retryCount = 0;

  constructor(
    context: ShimContext,
    readonly target: CallTarget,
    readonly policy: RetryPolicy,
  ) {
    super();
    if (policy.maxNumberOfAttempts < 1) {
      throw new ShimError(`${target.describe()}: maxNumberOfAttempts must be at least 1 (got ${policy.maxNumberOfAttempts})`);
    }
    this.signature = target.signature;
    this.#firstAttemptAt = context.now;
    this.#attempt(context);
  }

  #attempt(context: ShimContext): void {
    const eventId = this.target.schedule(context);
    context.awaitEvent(eventId, (event, current) => this.#onAttemptFinished(event, current));
  }

  #onAttemptFinished(event: HistoryEvent, context: ShimContext): void {
    if (event.EventType === EventType.TaskCompleted || event.EventType === EventType.SubOrchestrationInstanceCompleted) {
      this.done = true;
      return;
    }
    const delay = nextRetryDelayMs(this.policy, this.#retryCount, this.#firstAttemptAt, context.now);
    if (delay === 0) {
      this.done = true;
      return;
    }
    const timerId = context.allocateEventId();
    context.decide({ kind: "createTimer", eventId: timerId, fireAt: context.now + delay });
    context.awaitEvent(timerId, (_event, current) => this.#onRetryTimerFired(current));
  }

  #onRetryTimerFired(context: ShimContext): void {
    this.#retryCount += 1;
    if (this.#retryCount < this.policy.maxNumberOfAttempts) this.#attempt(context);
    else this.done = true;
  }
}

/** `CreateTimer` for fire times within MaximumShortTimerDuration: one TimerCreated. */
class TimerWait extends LeafTask {
  readonly signature = `${ActionType.CreateTimer}`;
  readonly #eventId: number;

  constructor(context: ShimContext, fireAt: number, cancelled: boolean) {
    super();
    this.#eventId = context.allocateEventId();
    context.decide({ kind: "createTimer", eventId: this.#eventId, fireAt });
    context.awaitEvent(this.#eventId, () => {
      this.done = true;
    });
    if (cancelled) this.#cancel(context);
  }

  override refresh(action: WireAction, context: ShimContext): void {
    if (action.isCanceled === true && !this.done) this.#cancel(context);
  }

  /** A cancelled .NET timer task completes at once and its open task is dropped. */
  #cancel(context: ShimContext): void {
    this.done = true;
    context.forgetEvent(this.#eventId);
    context.timerCancelled(this.#eventId);
  }
}

/**
 * The extension's long-timer loop (`DurableOrchestrationContext.CreateTimer`): while now < fireAt, wait
 * LongRunningTimerIntervalLength (or the remainder when it is shorter) with one timer per interval.
 */
class LongTimerWait extends LeafTask {
  readonly signature = `${ActionType.CreateTimer}`;
  #currentEventId = -1;

  constructor(
    context: ShimContext,
    readonly fireAt: number,
    cancelled: boolean,
  ) {
    super();
    this.#startInterval(context, context.now + LONG_RUNNING_TIMER_INTERVAL_MS);
    if (cancelled) this.#cancel(context);
  }

  #startInterval(context: ShimContext, intervalFireAt: number): void {
    this.#currentEventId = context.allocateEventId();
    context.decide({ kind: "createTimer", eventId: this.#currentEventId, fireAt: intervalFireAt });
    context.awaitEvent(this.#currentEventId, (_event, current) => this.#onIntervalElapsed(current));
  }

  #onIntervalElapsed(context: ShimContext): void {
    const remaining = this.fireAt - context.now;
    if (remaining <= 0) {
      this.done = true;
      return;
    }
    const interval = remaining < LONG_RUNNING_TIMER_INTERVAL_MS ? remaining : LONG_RUNNING_TIMER_INTERVAL_MS;
    this.#startInterval(context, context.now + interval);
  }

  override refresh(action: WireAction, context: ShimContext): void {
    if (action.isCanceled === true && !this.done) this.#cancel(context);
  }

  #cancel(context: ShimContext): void {
    this.done = true;
    context.forgetEvent(this.#currentEventId);
    context.timerCancelled(this.#currentEventId);
  }
}

export class ExternalEventWait extends LeafTask {
  readonly signature: string;

  constructor(
    context: ShimContext,
    readonly eventName: string,
  ) {
    super();
    this.signature = `${ActionType.WaitForExternalEvent}:${eventName.toLowerCase()}`;
    context.externalEvents.wait(this);
  }

  receive(): void {
    this.done = true;
  }
}

/** `ContinueAsNew` is fire-and-forget for the shim: it completes at once and is applied when the orchestrator returns. */
export class ContinueAsNewRequest extends LeafTask {
  readonly signature = `${ActionType.ContinueAsNew}`;

  constructor(readonly input: unknown) {
    super();
    this.done = true;
  }
}

/** `Task.WhenAll` waits for every child (even after a failure); `Task.WhenAny` for the first one. */
class CompoundWait implements ShimTask {
  readonly signature: string;

  constructor(
    readonly kind: "all" | "any",
    readonly children: ShimTask[],
    actionType: number,
  ) {
    this.signature = `${actionType}[${children.map((child) => child.signature).join(",")}]`;
  }

  isComplete(): boolean {
    return this.kind === "all" ? this.children.every((child) => child.isComplete()) : this.children.some((child) => child.isComplete());
  }

  refresh(action: WireAction, context: ShimContext): void {
    const childActions = action.compoundActions ?? [];
    this.children.forEach((child, index) => {
      const childAction = childActions[index];
      if (childAction) child.refresh(childAction, context);
    });
  }
}

/** An activity or sub-orchestration to (re)schedule; each call takes a fresh sequence number. */
interface CallTarget {
  readonly signature: string;
  schedule(context: ShimContext): number;
  describe(): string;
}

function activityTarget(name: string, input: unknown, actionType: number): CallTarget {
  return {
    signature: `${actionType}:${name}`,
    describe: () => `activity '${name}'`,
    schedule(context) {
      const eventId = context.allocateEventId();
      context.decide({ kind: "scheduleActivity", eventId, name, input });
      return eventId;
    },
  };
}

/** DurableTask.Core names an unnamed sub-orchestration `{ExecutionId}:{sequence number}` (`CreateSubOrchestrationInstanceCore`). */
function subOrchestrationTarget(name: string, instanceId: string | undefined, input: unknown, actionType: number): CallTarget {
  return {
    signature: `${actionType}:${name}`,
    describe: () => `sub-orchestration '${name}'`,
    schedule(context) {
      const eventId = context.allocateEventId();
      const childId = instanceId !== undefined && instanceId.trim() !== "" ? instanceId : `${context.executionId}:${eventId}`;
      context.decide({ kind: "createSubOrchestration", eventId, name, instanceId: childId, input });
      return eventId;
    },
  };
}

function requireName(action: WireAction): string {
  if (typeof action.functionName !== "string" || action.functionName.trim() === "") {
    throw new ShimError(`${describeAction(action)} has no functionName`);
  }
  return action.functionName;
}

function parseFireAt(action: WireAction): number {
  const fireAt = typeof action.fireAt === "string" ? Date.parse(action.fireAt) : NaN;
  if (Number.isNaN(fireAt)) throw new ShimError(`CreateTimer action has an invalid fireAt: ${String(action.fireAt)}`);
  return fireAt;
}

/** `OutOfProcOrchestrationShim.InvokeAPIFromAction`: starts the extension-side task for one action. */
export function invokeAction(action: WireAction, context: ShimContext): ShimTask {
  switch (action.actionType) {
    case ActionType.CallActivity:
      return new SingleCall(context, activityTarget(requireName(action), action.input, action.actionType));
    case ActionType.CallActivityWithRetry:
      return new RetryingCall(
        context,
        activityTarget(requireName(action), action.input, action.actionType),
        toRetryPolicy(action.retryOptions),
      );
    case ActionType.CallSubOrchestrator:
      return new SingleCall(context, subOrchestrationTarget(requireName(action), action.instanceId, action.input, action.actionType));
    case ActionType.CallSubOrchestratorWithRetry:
      return new RetryingCall(
        context,
        subOrchestrationTarget(requireName(action), action.instanceId, action.input, action.actionType),
        toRetryPolicy(action.retryOptions),
      );
    case ActionType.ContinueAsNew:
      return new ContinueAsNewRequest(action.input);
    case ActionType.CreateTimer: {
      const fireAt = parseFireAt(action);
      const cancelled = action.isCanceled === true;
      return fireAt - context.now > MAXIMUM_SHORT_TIMER_MS
        ? new LongTimerWait(context, fireAt, cancelled)
        : new TimerWait(context, fireAt, cancelled);
    }
    case ActionType.WaitForExternalEvent: {
      if (typeof action.externalEventName !== "string") throw new ShimError("WaitForExternalEvent action has no externalEventName");
      return new ExternalEventWait(context, action.externalEventName);
    }
    case ActionType.WhenAll:
    case ActionType.WhenAny: {
      const children = (action.compoundActions ?? []).map((child) => invokeAction(child, context));
      return new CompoundWait(action.actionType === ActionType.WhenAll ? "all" : "any", children, action.actionType);
    }
    case ActionType.CallHttp:
    case ActionType.CallEntity:
    case ActionType.SignalEntity:
    case ActionType.LockEntities:
    case ActionType.ReleaseEntities:
      throw new ShimError(`${describeAction(action)} is not supported by the in-process host`);
    default:
      throw new ShimError(`Received an unexpected action type from the out-of-proc function: '${action.actionType}'.`);
  }
}

/** The signature an action must have to match an already-started task (used for the non-determinism check). */
export function actionSignature(action: WireAction): string {
  switch (action.actionType) {
    case ActionType.WhenAll:
    case ActionType.WhenAny:
      return `${action.actionType}[${(action.compoundActions ?? []).map(actionSignature).join(",")}]`;
    case ActionType.WaitForExternalEvent:
      return `${action.actionType}:${(action.externalEventName ?? "").toLowerCase()}`;
    case ActionType.CreateTimer:
    case ActionType.ContinueAsNew:
      return `${action.actionType}`;
    default:
      return `${action.actionType}:${action.functionName ?? ""}`;
  }
}
