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
