/**
 * @module
 * Watches one attempt's container group until it reaches a final state, is deleted from outside, or
 * the run's deadline passes. Waiting is by durable timers on the schedule in pollSchedule.ts; each look
 * also streams new log lines. A long watch continues as new every {@link POLLS_PER_GENERATION} looks so
 * its history stays small (a 24-hour container would otherwise replay thousands of events).
 */
import type * as df from "durable-functions";
import { Activities, type AttemptRef, type ObserveContainerGroupResult } from "../activities/contracts";
import type { LogCursor } from "../aci/logs";
import type { ContainerPhase } from "../aci/observation";
import { callActivity, now, sleepUntil } from "./calls";
import { POLLS_PER_GENERATION, pollDelayMs } from "./pollSchedule";
import { armCallRetry } from "./retryPolicies";

export interface WatchInput {
  readonly ref: AttemptRef;
  /** When ARM accepted the group (ms since epoch, orchestration time): the poll schedule counts from it. */
  readonly createdAt: number;
  /** The run's deadline (ms since epoch). */
  readonly deadline: number;
  readonly cursor: LogCursor;
  readonly previousPhase: ContainerPhase["phase"] | null;
  /** Looks taken by earlier generations. */
  readonly polls: number;
}

export type Observed = Extract<ObserveContainerGroupResult, { kind: "observed" }>;

export type WatchResult =
  | { readonly kind: "finished"; readonly observed: Observed; readonly cursor: LogCursor; readonly polls: number }
  | { readonly kind: "gone"; readonly cursor: LogCursor; readonly polls: number }
  | { readonly kind: "timedOut"; readonly last: Observed | null; readonly cursor: LogCursor; readonly polls: number };

const FINAL_PHASES: ReadonlySet<ContainerPhase["phase"]> = new Set(["exited", "provisioningFailed", "unhealthy"]);

export function* watchContainerGroup(
  context: df.OrchestrationContext,
): Generator<df.Task, WatchResult | undefined, unknown> {
  const input = context.df.getInput<WatchInput>();
  let { cursor, previousPhase, polls } = input;
  let last: Observed | null = null;

  for (let looks = 0; looks < POLLS_PER_GENERATION; looks++) {
    const nextLook = Math.min(now(context) + pollDelayMs(now(context) - input.createdAt), input.deadline);
    yield* sleepUntil(context, nextLook);

    const observed = yield* callActivity(
      context,
      Activities.observeContainerGroup,
      { ...input.ref, cursor, previousPhase },
      armCallRetry,
    );
    polls += 1;
    if (observed.kind === "gone") return { kind: "gone", cursor, polls };

    last = observed;
    cursor = observed.cursor;
    previousPhase = observed.state.phase;
    context.df.setCustomStatus({ phase: observed.state.phase, provisioningState: observed.provisioningState, polls });
    if (FINAL_PHASES.has(observed.state.phase)) return { kind: "finished", observed, cursor, polls };
    // Looked once more at the deadline itself, so a container that ended just before it still counts.
    if (now(context) >= input.deadline) return { kind: "timedOut", last, cursor, polls };
  }

  const next: WatchInput = { ...input, cursor, previousPhase, polls };
  context.df.continueAsNew(next);
  return undefined;
}
