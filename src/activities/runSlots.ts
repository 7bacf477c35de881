/**
 * The activity that gives a finished run's slot back, so the job's next run can start.
 */
import type { InvocationContext } from "@azure/functions";
import type { RunSlots } from "../runs/runSlots";
import { Activities, type ReleaseRunSlotInput, type ReleaseRunSlotResult } from "./contracts";

export function createRunSlotActivities(slots: RunSlots | undefined) {
  return {
    async [Activities.releaseRunSlot](input: ReleaseRunSlotInput, context: InvocationContext): Promise<ReleaseRunSlotResult> {
      if (!slots) return { released: false };
      const released = await slots.release(input.jobId, input.runId);
      if (!released) context.log(`run ${input.runId} held no slot of ${input.jobId} any more (already released or reclaimed)`);
      return { released };
    },
  };
}
