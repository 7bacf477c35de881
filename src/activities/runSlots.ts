/**
 * The activities around a job's run slots: give a finished run's slot back (to the first run waiting in
 * line, if any), let a waiting run take its slot, and take a canceled waiting run out of line.
 */
import type { InvocationContext } from "@azure/functions";
import type { RunQueue } from "../runs/runQueue";
import type { RunSlots } from "../runs/runSlots";
import {
  Activities,
  type LeaveQueueInput,
  type ReleaseRunSlotInput,
  type ReleaseRunSlotResult,
  type TakeQueuedSlotInput,
  type TakeQueuedSlotResult,
} from "./contracts";

export function createRunSlotActivities(slots: RunSlots | undefined, queue?: RunQueue) {
  /** Frees `runId`'s slot, or hands it to the first run in line (taken out of line with it). */
  async function release(jobId: string, runId: string): Promise<{ released: boolean; handedTo?: string }> {
    if (!slots) return { released: false };
    const next = (await queue?.waiting(jobId))?.find((waiting) => waiting !== runId);
    const released = await slots.release(jobId, runId, next);
    if (released && next) {
      await queue!.remove(jobId, next);
      return { released, handedTo: next };
    }
    return { released };
  }

  return {
    async [Activities.releaseRunSlot](input: ReleaseRunSlotInput, context: InvocationContext): Promise<ReleaseRunSlotResult> {
      const { released, handedTo } = await release(input.jobId, input.runId);
      if (!released) context.log(`run ${input.runId} held no slot of ${input.jobId} any more (already released or reclaimed)`);
      if (handedTo) context.log(`run ${input.runId} handed its slot of ${input.jobId} to ${handedTo}, the first run waiting`);
      return { released };
    },

    async [Activities.takeQueuedSlot](input: TakeQueuedSlotInput): Promise<TakeQueuedSlotResult> {
      if (!slots || !queue) return { acquired: true };
      // Handed a slot by a run that ended (release above), or the first in line and a slot is free.
      if (await slots.holds(input.jobId, input.runId)) {
        await queue.remove(input.jobId, input.runId);
        return { acquired: true };
      }
      const waiting = await queue.waiting(input.jobId);
      if (waiting[0] === input.runId && (await slots.claimFree(input.jobId, input.runId, input.limit))) {
        await queue.remove(input.jobId, input.runId);
        return { acquired: true };
      }
      const position = waiting.indexOf(input.runId);
      return { acquired: false, position: position < 0 ? waiting.length + 1 : position + 1 };
    },

    async [Activities.leaveQueue](input: LeaveQueueInput, context: InvocationContext): Promise<void> {
      if (!queue) return;
      await queue.remove(input.jobId, input.runId);
      // Handed a slot just as it was canceled: pass it on.
      if (slots && (await slots.holds(input.jobId, input.runId))) {
        const { handedTo } = await release(input.jobId, input.runId);
        context.log(`canceled waiting run ${input.runId} passed its slot of ${input.jobId} on${handedTo ? ` to ${handedTo}` : ""}`);
      }
    },
  };
}
