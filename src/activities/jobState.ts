/**
 * The activity that counts a scheduled run's outcome for `pauseAfterFailures`, and pauses the job's
 * schedule when that many scheduled runs in a row have failed (Airflow's max_consecutive_failed_dag_runs).
 */
import type { InvocationContext } from "@azure/functions";
import type { JobStateStore } from "../runs/jobState";
import { Activities, type RecordScheduledRunOutcomeInput, type RecordScheduledRunOutcomeResult } from "./contracts";

export function createJobStateActivities(jobState: JobStateStore | undefined, clock: () => Date = () => new Date()) {
  return {
    async [Activities.recordScheduledRunOutcome](input: RecordScheduledRunOutcomeInput, context: InvocationContext): Promise<RecordScheduledRunOutcomeResult> {
      if (!jobState) return { consecutiveFailures: 0, paused: false };
      let pausedNow = false;
      const state = await jobState.update(input.jobId, (current) => {
        pausedNow = false;
        // A canceled run says nothing about the job's health: the count stays as it was. A run already
        // counted (this activity delivered again) is not counted twice.
        if (input.status === "canceled" || current.lastCountedRunId === input.runId) return undefined;
        const consecutiveScheduledFailures = input.status === "succeeded" ? 0 : current.consecutiveScheduledFailures + 1;
        const counted = { ...current, consecutiveScheduledFailures, lastCountedRunId: input.runId };
        if (consecutiveScheduledFailures < input.pauseAfterFailures || current.paused) return counted;
        pausedNow = true;
        const note = `Paused after ${consecutiveScheduledFailures} scheduled runs in a row failed (pauseAfterFailures ${input.pauseAfterFailures}); the last was ${input.runId}. Resume with POST /api/jobs/${input.jobId}/resume.`;
        return { ...counted, paused: { since: clock().toISOString(), note, by: "pauseAfterFailures" } };
      });
      if (pausedNow) context.warn(`schedule of ${input.jobId} paused: ${state.paused?.note ?? ""}`);
      return { consecutiveFailures: state.consecutiveScheduledFailures, paused: pausedNow };
    },
  };
}
