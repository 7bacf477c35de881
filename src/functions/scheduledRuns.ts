/**
 * @module
 * One timer trigger per scheduled job (the DAG's schedule). A firing maps to its schedule slot; the slot
 * names the run, so a slot never starts two runs, and a past-due firing after downtime starts one run
 * for the latest slot only (catchup=False). With the job's active-run limit reached, it starts nothing
 * and says why in the log. While the job's schedule is paused (POST /api/jobs/{job}/pause), a firing
 * starts nothing. Each slot's fate goes into the job's schedule record. A job scheduled in a time zone has a UTC timer that fires at every time a
 * local slot can fall on (src/jobs/schedule.ts); a firing that is no local slot starts nothing.
 */
import type { InvocationContext, Timer } from "@azure/functions";
import * as df from "durable-functions";
import type { JobSpec } from "../jobs/definition";
import type { JobRegistry } from "../jobs";
import { slotOfFiring } from "../jobs/schedule";
import { withAction, type JobStateStore, type ScheduleAction } from "../runs/jobState";
import type { RunSlots } from "../runs/runSlots";
import { scheduledRunId, startRun, type RunClient } from "../runs/startRun";
import { runTimesFor } from "../runs/runTimes";

export interface ScheduledRunsDeps {
  readonly jobs: JobRegistry;
  readonly defaultRegion: string;
  readonly slots: RunSlots | undefined;
  /** Paused schedules and schedule records (kept with the run slots; undefined without storage). */
  readonly jobState?: JobStateStore | undefined;
  readonly now?: () => Date;
}

export function createScheduledRunHandler(job: JobSpec & { schedule: NonNullable<JobSpec["schedule"]> }, deps: ScheduledRunsDeps) {
  return async (timer: Timer, client: RunClient, context: InvocationContext): Promise<void> => {
    const firedAt = (deps.now ?? (() => new Date()))();
    const slot = slotOfFiring(job.schedule, firedAt, timer.isPastDue);
    if (!slot) {
      context.log(`timer of ${job.id} fired at ${firedAt.toISOString()}, which is no slot of its schedule in ${job.schedule.timeZone}; nothing to start`);
      return;
    }
    const runId = scheduledRunId(job.id, slot);
    if (!deps.slots) {
      // Throwing makes the failure visible in the host's invocation log; timers do not retry.
      throw new Error(`Cannot start ${runId}: no storage is configured (AzureWebJobsStorage).`);
    }
    const at = firedAt.toISOString();
    const slotText = slot.toISOString();
    const record = async (action: ScheduleAction) => {
      // The record is for people; a storage fault writing it must not undo what the firing did.
      await deps.jobState?.update(job.id, (state) => withAction(state, action)).catch((error: unknown) => {
        context.warn(`could not add to the schedule record of ${job.id}: ${error instanceof Error ? error.message : String(error)}`);
      });
    };
    const paused = (await deps.jobState?.read(job.id))?.paused;
    if (paused) {
      context.warn(`schedule slot ${slotText} of ${job.id} skipped: the schedule is paused since ${paused.since}${paused.by ? ` by ${paused.by}` : ""}${paused.note ? ` (${paused.note})` : ""}`);
      await record({ slot: slotText, at, action: "skippedPaused", ...(paused.note ? { note: paused.note } : {}) });
      return;
    }
    const outcome = await startRun({
      client,
      job,
      runId,
      trigger: { kind: "schedule", slot: slot.toISOString(), pastDue: timer.isPastDue },
      times: runTimesFor(job, slot, firedAt),
      defaultRegion: deps.defaultRegion,
      slots: deps.slots,
    });
    if (outcome.started) {
      context.log(`started scheduled run ${runId} of ${job.id} for ${slotText}${timer.isPastDue ? " (past due)" : ""}`);
      await record({ slot: slotText, at, action: "started", runId });
    } else if (outcome.reason === "alreadyStarted") {
      // A second firing for the slot: the first one's action is already recorded.
      context.log(`schedule slot ${slotText} of ${job.id} already has run ${runId}; not starting another`);
    } else {
      context.warn(
        `skipping schedule slot ${slotText} of ${job.id}: at most ${job.maxActiveRuns} active run(s) allowed ` +
          `and ${outcome.activeRunIds.length} active (${outcome.activeRunIds.join(", ")})`,
      );
      await record({ slot: slotText, at, action: "skippedOverlap", activeRunIds: outcome.activeRunIds });
    }
  };
}

/** The timer function name for a job (function names allow letters, digits, _ and -). */
export function timerFunctionName(jobId: string): string {
  return `schedule_${jobId}`;
}

export function registerScheduledRuns(deps: ScheduledRunsDeps): void {
  for (const job of deps.jobs.all) {
    const { schedule } = job;
    if (!schedule) continue;
    df.app.client.timer(timerFunctionName(job.id), {
      schedule: schedule.timerSchedule,
      // runOnStartup fires on every scale-out and restart; the docs advise against it (durable-functions.md §14).
      runOnStartup: false,
      handler: createScheduledRunHandler({ ...job, schedule }, deps),
    });
  }
}
