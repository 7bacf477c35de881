/**
 * @module
 * Cancelling a run, the same way for the HTTP route and `npm run job`'s Ctrl-C: the request goes to the
 * run as the external event `cancel`, and to the watch of its current attempt so a watch between looks
 * ends at once. The run does the rest (src/orchestrations/cancellation.ts): it deletes its group, keeps
 * the log read so far, starts no retry, releases its slot and ends `canceled`. Terminate is not used: a
 * terminated orchestration runs no cleanup and leaves its sub-orchestration and its group behind.
 */
import type * as df from "durable-functions";
import { RunEvents, watchInstanceId, type CancelRequest, type RunProgress, type RunResult } from "./contracts";
import { findRun, isActiveStatus, type RunClient } from "./startRun";
import { toRunView, type RunState } from "./runView";

export type CancelClient = RunClient & Pick<df.DurableClient, "raiseEvent">;

export type CancelOutcome =
  /** The run has the request and is stopping. */
  | { readonly kind: "canceling" }
  /** The run had ended (before the request, or before the request reached it); `state` says how. */
  | { readonly kind: "finished"; readonly state: RunState }
  | { readonly kind: "notFound" };

export async function cancelRun(client: CancelClient, runId: string, request: CancelRequest): Promise<CancelOutcome> {
  const status = await findRun(client, runId);
  if (!status) return { kind: "notFound" };
  if (!isActiveStatus(String(status.runtimeStatus))) return { kind: "finished", state: toRunView(status).state };
  try {
    await client.raiseEvent(runId, RunEvents.cancel, request);
  } catch (error) {
    // Only an instance that vanished (purged) since the status read is answered 404.
    if (/No instance with ID/u.test(String(error))) return { kind: "notFound" };
    throw error;
  }
  const progress = status.customStatus as RunProgress | undefined;
  if (progress?.phase === "watching") {
    // Best effort: a watch that has just ended answers 410, which resolves. If the run starts a watch after
    // this read, the run deletes the group itself and that watch ends at its next look, seeing it gone.
    await client.raiseEvent(watchInstanceId(runId, progress.attempt), RunEvents.cancel, request).catch(() => undefined);
  }
  // The run may have ended between the read and the event (the extension answers that event 410, and drops
  // it): then the cancel changed nothing, and the caller hears how the run ended.
  const after = await findRun(client, runId);
  if (after && !isActiveStatus(String(after.runtimeStatus))) {
    const result = after.output as RunResult | undefined;
    if (String(after.runtimeStatus) !== "Completed" || !result?.cancellation) return { kind: "finished", state: toRunView(after).state };
  }
  return { kind: "canceling" };
}
