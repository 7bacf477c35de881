/**
 * @module
 * Watches one attempt's container group until it reaches a final state, is deleted from outside, the
 * run's deadline passes, or Azure has not answered for {@link CONTACT_LOSS_LIMIT_MS}. Waiting is by durable timers on the schedule in pollSchedule.ts; each look
 * also streams new log lines. A long watch continues as new every {@link POLLS_PER_GENERATION} looks so
 * its history stays small (a 24-hour container would otherwise replay thousands of events).
 */
import type * as df from "durable-functions";
import { Activities, progressOf, type AttemptRef, type LogProgress, type ObserveContainerGroupResult, type Redaction } from "../activities/contracts";
import { isFinal, type ContainerPhase } from "../aci/observation";
import type { CancelRequest } from "../runs/contracts";
import { callActivityWithRetry, failureMessage, now } from "./calls";
import { CancelSignal } from "./cancellation";
import { POLLS_PER_GENERATION, nextLookDelayMs, type OutputRate } from "./pollSchedule";
import { armCallRetry } from "./retryPolicies";

/** `redact`: the Key Vault references (names) whose values are hidden in streamed lines and errors. */
export interface WatchInput extends LogProgress, Redaction {
  readonly ref: AttemptRef;
  /** When ARM accepted the group (ms since epoch, orchestration time): the poll schedule counts from it. */
  readonly createdAt: number;
  /** The run's deadline (ms since epoch). */
  readonly deadline: number;
  readonly previousPhase: ContainerPhase["phase"] | null;
  /** Looks taken by earlier generations. */
  readonly polls: number;
  /** Since when every look has failed (ms since epoch), or null while Azure answers. */
  readonly failingSince: number | null;
  /**
   * The last look that read the log (ms since epoch) and how fast the container wrote before it, so a
   * chatty container is read often enough (pollSchedule.ts); absent before the first such look.
   */
  readonly lastRead?: { readonly at: number; readonly rate: OutputRate };
}

/**
 * How long looks may keep failing (after each activity's own retries) before the watch gives up on the
 * group. A healthy container is not killed for a passing ARM outage; a group nobody can reach is not
 * paid for forever.
 */
export const CONTACT_LOSS_LIMIT_MS = 30 * 60_000;

export type Observed = Extract<ObserveContainerGroupResult, { kind: "observed" }>;

/** Each ending carries the log as far as the watch read it (cursor, and the record's position). */
export type WatchResult = LogProgress &
  (
    | { readonly kind: "finished"; readonly observed: Observed; readonly polls: number }
    | { readonly kind: "gone"; readonly polls: number }
    | { readonly kind: "timedOut"; readonly last: Observed | null; readonly polls: number }
    /** Azure kept failing, or refused for good (e.g. 403), so the group's fate is unknown. */
    | { readonly kind: "unreachable"; readonly reason: string; readonly polls: number }
    /** The run was canceled: the watch stopped at once, between looks; the run deletes the group. */
    | { readonly kind: "canceled"; readonly request: CancelRequest; readonly polls: number }
  );

/**
 * How many of the log's last lines a look needs: four times what the container wrote at its last measured
 * rate since then, and never few (the look reads it all when they do not reach back to the cursor).
 */
function readTailOf(lastRead: WatchInput["lastRead"], at: number): { readTail?: number } {
  if (!lastRead) return {};
  const expected = (lastRead.rate.linesPerSecond * Math.max(0, at - lastRead.at)) / 1_000;
  return { readTail: Math.max(200, Math.ceil(4 * expected)) };
}

function redactionOf(input: Redaction): Redaction {
  return { redact: input.redact, ...(input.redactUsernames ? { redactUsernames: input.redactUsernames } : {}) };
}

export function* watchContainerGroup(
  context: df.OrchestrationContext,
): Generator<df.Task, WatchResult | undefined, unknown> {
  const input = context.df.getInput<WatchInput>();
  let { previousPhase, polls, failingSince, lastRead } = input;
  let log = progressOf(input);
  let last: Observed | null = null;
  // The cancel route raises the run's cancel here too, so a watch between looks ends at once.
  const cancel = new CancelSignal(context);

  for (let looks = 0; looks < POLLS_PER_GENERATION; looks++) {
    const delay = nextLookDelayMs(now(context) - input.createdAt, lastRead?.rate ?? null);
    // A look that would fall shortly before the deadline is taken at the deadline instead: two looks a
    // moment apart tell nothing more, and ARM requests cost.
    const regularLook = now(context) + delay;
    const nextLook = input.deadline - regularLook < delay / 2 ? input.deadline : regularLook;
    // A durable timer can complete up to a second before its fire time on the Azure Storage provider
    // (durable-functions.md §21), so whether this is the deadline's look is decided here, not by the clock after it.
    const atDeadline = nextLook >= input.deadline;
    if (yield* cancel.sleepsUntil(nextLook, "watching")) return { kind: "canceled", request: cancel.request!, ...log, polls };
    const pastDeadline = () => atDeadline || now(context) >= input.deadline;

    let observed;
    try {
      observed = yield* callActivityWithRetry(
        context,
        Activities.observeContainerGroup,
        { ...input.ref, ...redactionOf(input), ...log, previousPhase, ...readTailOf(lastRead, now(context)) },
        armCallRetry,
      );
    } catch (error) {
      // The activity's retries are spent, but the container may be fine: keep looking for a while.
      polls += 1;
      failingSince ??= now(context);
      if (now(context) - failingSince >= CONTACT_LOSS_LIMIT_MS || pastDeadline()) {
        const reason = `Azure did not answer for ${Math.round((now(context) - failingSince) / 60_000)} minutes: ${failureMessage(error)}`;
        return { kind: "unreachable", reason, ...log, polls };
      }
      continue;
    }
    polls += 1;
    failingSince = null;
    if (observed.kind === "gone") return { kind: "gone", ...log, polls };
    if (observed.kind === "failed") return { kind: "unreachable", reason: `${observed.code}: ${observed.message}`, ...log, polls };

    last = observed;
    log = progressOf(observed);
    if (observed.fresh && (observed.fresh.lines > 0 || lastRead)) {
      // Measured over the time since the previous read; for the first, since the container wrote its first
      // line (not since the create: an image pull can take minutes, and would make a chatty container look quiet).
      const since = lastRead?.at ?? Math.max(input.createdAt, Math.min(observed.fresh.firstAt ?? input.createdAt, now(context)));
      const seconds = Math.max(1_000, now(context) - since) / 1_000;
      lastRead = { at: now(context), rate: { bytesPerSecond: observed.fresh.bytes / seconds, linesPerSecond: observed.fresh.lines / seconds } };
    }
    previousPhase = observed.state.phase;
    context.df.setCustomStatus({ phase: observed.state.phase, provisioningState: observed.provisioningState, polls });
    if (isFinal(observed.state)) return { kind: "finished", observed, ...log, polls };
    // Looked once more at the deadline itself, so a container that ended just before it still counts.
    if (pastDeadline()) return { kind: "timedOut", last, ...log, polls };
  }

  const { archive: _previous, ...rest } = input;
  const next: WatchInput = { ...rest, ...log, previousPhase, polls, failingSince, ...(lastRead ? { lastRead } : {}) };
  context.df.continueAsNew(next);
  return undefined;
}
