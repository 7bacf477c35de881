/**
 * Typed calls from orchestrations. `yield*` one of these instead of yielding a Task directly, and the
 * result comes back with the activity's declared output type. Only Durable Tasks are ever yielded.
 */
import type * as df from "durable-functions";
import type { ActivityContract } from "../activities/contracts";

type Name = keyof ActivityContract;

export function* callActivityWithRetry<N extends Name>(
  context: df.OrchestrationContext,
  name: N,
  input: ActivityContract[N]["input"],
  retry: df.RetryOptions,
): Generator<df.Task, ActivityContract[N]["output"], unknown> {
  return (yield context.df.callActivityWithRetry(name, retry, input)) as ActivityContract[N]["output"];
}

/**
 * Like {@link callActivityWithRetry}, with the same waits between tries, but each try's input may depend
 * on how the earlier tries failed (their messages): a delete must know whether an earlier DELETE may have
 * done the work.
 */
export function* callActivityRetrying<N extends Name>(
  context: df.OrchestrationContext,
  name: N,
  inputFor: (earlierFailures: readonly string[]) => ActivityContract[N]["input"],
  retry: df.RetryOptions,
): Generator<df.Task, ActivityContract[N]["output"], unknown> {
  const failures: string[] = [];
  for (;;) {
    try {
      return (yield context.df.callActivity(name, inputFor(failures))) as ActivityContract[N]["output"];
    } catch (error) {
      failures.push(failureMessage(error));
      if (failures.length >= retry.maxNumberOfAttempts) throw error;
      const delay = Math.min(retry.maxRetryIntervalInMilliseconds, retry.firstRetryIntervalInMilliseconds * retry.backoffCoefficient ** (failures.length - 1));
      yield context.df.createTimer(new Date(now(context) + delay));
    }
  }
}

/**
 * An activity or sub-orchestration scheduled but not awaited yet (so it can be raced against a cancel),
 * typed by what it returns. Await it with {@link settle}.
 */
export interface Pending<Output> {
  readonly task: df.Task;
  /** Type only: what {@link settle} returns. */
  readonly output?: Output;
}

export function scheduleActivityWithRetry<N extends Name>(
  context: df.OrchestrationContext,
  name: N,
  input: ActivityContract[N]["input"],
  retry: df.RetryOptions,
): Pending<ActivityContract[N]["output"]> {
  return { task: context.df.callActivityWithRetry(name, retry, input) };
}

export function scheduleSubOrchestrator<Output>(context: df.OrchestrationContext, name: string, input: unknown, instanceId: string): Pending<Output> {
  return { task: context.df.callSubOrchestrator(name, input, instanceId) };
}

/** Waits for a scheduled task: its result, or its failure thrown here. */
export function* settle<Output>(pending: Pending<Output>): Generator<df.Task, Output, unknown> {
  return (yield pending.task) as Output;
}

export function* callSubOrchestrator<Output>(
  context: df.OrchestrationContext,
  name: string,
  input: unknown,
  instanceId: string,
): Generator<df.Task, Output, unknown> {
  return (yield context.df.callSubOrchestrator(name, input, instanceId)) as Output;
}

export function* sleepUntil(context: df.OrchestrationContext, time: number): Generator<df.Task, void, unknown> {
  yield context.df.createTimer(new Date(time));
}

/** Current orchestration time in ms: replay-safe, taken from the history, never from the wall clock. */
export function now(context: df.OrchestrationContext): number {
  return context.df.currentUtcDateTime.getTime();
}

/** The message of a failure thrown into the orchestration at a `yield`. */
export function failureMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.trim().slice(0, 500);
}

/**
 * What the activity itself said when it failed: the extension prefixes it with "Activity function 'X'
 * failed: " (two spaces on the real extension, durable-functions.md §21), which a person need not read.
 */
export function activityFailureMessage(error: unknown): string {
  return failureMessage(error).replace(/^Activity function '[^']+' failed:\s+/u, "");
}
