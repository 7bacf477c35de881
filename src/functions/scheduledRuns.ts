/**
 * @module
 * One timer trigger per scheduled job (the DAG's schedule). A firing maps to its schedule slot; the slot
 * names the run, so a slot never starts two runs, and a past-due firing after downtime starts one run
 * for the latest slot only (catchup=False). With the job's active-run limit reached, it starts nothing
 * and says why in the log. While the job's schedule is paused (POST /api/jobs/{job}/pause), a firing
 * starts nothing. Each slot's fate goes into the job's schedule record. A job scheduled in a time zone
 * has a UTC timer that fires at every time a local slot can fall on (src/jobs/schedule.ts); a firing
 * that is no local slot starts nothing.
 */
import type { InvocationContext, Timer } from "@azure/functions";
import * as df from "durable-functions";
import type { JobSpec } from "../jobs/definition";
import type { JobRegistry } from "../jobs";
import { MAX_CATCHUP_WINDOW_MS } from "../jobs/definition";
import { formatDuration } from "../jobs/duration";
import { nextSlots, previousSlot, slotOfFiring, slotsBetween } from "../jobs/schedule";
import { missedNotification } from "../runs/notification";
import type { RunIndex } from "../runs/runIndex";
import { postNotificationRetrying, type WebhookDeps } from "../runs/webhook";
import { dimension, TelemetryEvents, type Telemetry } from "../telemetry/events";
import { withAction, type JobStateStore, type ScheduleAction } from "../runs/jobState";
import type { RunQueue } from "../runs/runQueue";
import type { RunSlots } from "../runs/runSlots";
import { scheduledRunId, startRun, type RunClient } from "../runs/startRun";
import { runTimesFor } from "../runs/runTimes";

export interface ScheduledRunsDeps {
  readonly jobs: JobRegistry;
  readonly defaultRegion: string;
  readonly slots: RunSlots | undefined;
  /** Paused schedules and schedule records (kept with the run slots; undefined without storage). */
  readonly jobState?: JobStateStore | undefined;
  /** Where runs wait for a slot under the overlap policies that queue. */
  readonly queue?: RunQueue | undefined;
  /** Where runs are listed (GET …/runs). */
  readonly index?: RunIndex | undefined;
  /** ScheduleSlot events for the missed-slot alert. */
  readonly telemetry?: Telemetry;
  /** For jobs whose `notify.on` has `missed`. */
  readonly webhooks?: WebhookDeps;
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
    if (!deps.slots) {
      // Throwing makes the failure visible in the host's invocation log; timers do not retry.
      throw new Error(`Cannot start ${scheduledRunId(job.id, slot)}: no storage is configured (AzureWebJobsStorage).`);
    }
    const slots = deps.slots;
    const at = firedAt.toISOString();
    // Told to Azure Monitor and the job's webhook only once every slot of this firing has started: a slow
    // webhook or telemetry endpoint must not hold up a run.
    const toReport: ScheduleAction[] = [];
    const record = async (action: ScheduleAction) => {
      // The record is for people; a storage fault writing it must not undo what the firing did.
      await deps.jobState?.update(job.id, (state) => withAction(state, action)).catch((error: unknown) => {
        context.warn(`could not add to the schedule record of ${job.id}: ${error instanceof Error ? error.message : String(error)}`);
      });
      toReport.push(action);
    };
    try {
      await fire(slot);
    } finally {
      for (const action of toReport) await reportSlot(job, action, deps, context);
    }

    async function fire(slot: Date): Promise<void> {
      const state = await deps.jobState?.read(job.id);
      if (state?.paused) {
        const { paused } = state;
        context.warn(`schedule slot ${slot.toISOString()} of ${job.id} skipped: the schedule is paused since ${paused.since}${paused.by ? ` by ${paused.by}` : ""}${paused.note ? ` (${paused.note})` : ""}`);
        await record({ slot: slot.toISOString(), at, action: "skippedPaused", ...(paused.note ? { note: paused.note } : {}) });
        return;
      }

      // Slots the timer never fired for (the app was down): those within the job's catchupWindow run first,
      // oldest first; older ones are recorded as missed, never dropped without a word.
      const newest = state?.actions[0];
      const lastKnown = newest ? (newest.action === "missed" ? newest.until : newest.slot) : lastFromScheduleStatus(timer, firedAt);
      const { catchUp, missed } = missedSlots(job, lastKnown, slot, firedAt);
      if (missed) {
        context.warn(`${missed.count} slot(s) of ${job.id} from ${missed.from} to ${missed.to} were missed while the app was down and are not run (catchupWindow ${job.catchupWindow === undefined ? "none" : formatDuration(job.catchupWindow)})`);
        await record({ slot: missed.from, at, action: "missed", until: missed.to, count: missed.count });
      }
      for (const earlier of [...catchUp, slot]) {
        await startSlot(earlier, earlier === slot ? timer.isPastDue : true);
      }
    }

    async function startSlot(slotAt: Date, pastDue: boolean): Promise<void> {
      const runId = scheduledRunId(job.id, slotAt);
      const slotText = slotAt.toISOString();
      const outcome = await startRun({
        client,
        job,
        runId,
        trigger: { kind: "schedule", slot: slotText, pastDue },
        times: runTimesFor(job, slotAt, firedAt),
        defaultRegion: deps.defaultRegion,
        slots,
        ...(deps.queue ? { queue: deps.queue } : {}),
        ...(deps.index ? { index: deps.index } : {}),
        warn: (line: string) => context.warn(line),
        now: firedAt,
      });
      if (outcome.started && outcome.queued) {
        const canceled = outcome.canceled ? `; canceled ${outcome.canceled.join(", ")} for it (overlap cancelOther)` : "";
        context.log(`queued scheduled run ${runId} of ${job.id} for ${slotText}: it waits for a run slot${canceled}`);
        await record({ slot: slotText, at, action: "queued", runId });
      } else if (outcome.started) {
        context.log(`started scheduled run ${runId} of ${job.id} for ${slotText}${pastDue ? " (past due)" : ""}`);
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
    }
  };
}

/**
 * Tells Azure Monitor what the timer did for a slot (the missed-slot alert reads `nextSlot` to notice a
 * firing that never came), and the job's webhook of slots that started no run, when it asks for `missed`.
 */
async function reportSlot(job: ScheduledJob, action: ScheduleAction, deps: ScheduledRunsDeps, context: InvocationContext): Promise<void> {
  const after = action.action === "missed" ? new Date(action.until) : new Date(action.slot);
  const nextSlot = nextSlots(job.schedule, after, 1)[0];
  const dimensions = {
    job: job.id,
    slot: action.slot,
    action: action.action,
    runId: "runId" in action ? action.runId : "",
    count: action.action === "missed" ? String(action.count) : "1",
    nextSlot: nextSlot ? nextSlot.toISOString() : "",
  };
  await deps.telemetry?.track({ name: TelemetryEvents.scheduleSlot, dimensions });
  const notify = job.notify;
  if (!notify?.on.includes("missed") || !deps.webhooks || (action.action !== "missed" && action.action !== "skippedOverlap")) return;
  const detail =
    action.action === "missed"
      ? `${action.count} schedule slot(s) from ${action.slot} to ${action.until} started no run: the app was down past the job's catch-up window.`
      : `Schedule slot ${action.slot} started no run: ${action.activeRunIds.join(", ")} still active (overlap ${job.overlap}).`;
  const sent = await postNotificationRetrying(deps.webhooks, notify.webhook, missedNotification(job.id, action.slot, action.action === "missed" ? action.count : 1, detail));
  if (!sent.delivered) {
    context.warn(`notification of ${job.id}'s missed slot ${action.slot} not delivered: ${sent.error}`);
    await deps.telemetry?.track({ name: TelemetryEvents.notificationFailed, dimensions: { job: job.id, runId: "", state: "missed", error: dimension(sent.error) } });
  }
}

type ScheduledJob = JobSpec & { schedule: NonNullable<JobSpec["schedule"]> };

/**
 * Before a job has a record, the timer's own schedule status says when it last fired, but only a past-due
 * firing means it missed some, and a timer that never fired may report no time or DateTime's minimum
 * (0001-01-01). So it is taken only for a past-due firing, and only within the longest catch-up window.
 */
function lastFromScheduleStatus(timer: Timer, firedAt: Date): string | undefined {
  const last = timer.scheduleStatus?.last;
  if (!timer.isPastDue || !last) return undefined;
  const at = Date.parse(last);
  return !Number.isNaN(at) && firedAt.getTime() - at <= MAX_CATCHUP_WINDOW_MS ? last : undefined;
}

/** Most slots one firing starts to catch up; beyond it they are recorded as missed. */
export const MAX_CATCH_UP_RUNS = 100;
/** Most missed slots counted one by one (an every-second schedule down for a week has 604,800). */
const MAX_COUNTED = 100_000;

/**
 * The slots strictly between the last one the job's record (or the timer's own schedule status) knows
 * and this firing's: those within `catchupWindow` of the firing (the newest {@link MAX_CATCH_UP_RUNS}) to
 * start in order, and the rest as one missed range. Without a known last slot, none. Past
 * {@link MAX_COUNTED} missed slots nothing is caught up: such a gap is recorded as missed.
 */
export function missedSlots(
  job: JobSpec & { schedule: NonNullable<JobSpec["schedule"]> },
  lastKnown: string | undefined,
  slot: Date,
  firedAt: Date,
): { catchUp: Date[]; missed?: { from: string; to: string; count: number } } {
  const last = lastKnown ? Date.parse(lastKnown) : Number.NaN;
  if (Number.isNaN(last) || last >= slot.getTime()) return { catchUp: [] };
  const { slots, more } = slotsBetween(job.schedule, new Date(last), slot, MAX_COUNTED);
  if (slots.length === 0) return { catchUp: [] };
  const cutoff = job.catchupWindow === undefined ? Number.POSITIVE_INFINITY : firedAt.getTime() - job.catchupWindow;
  const catchUp = more > 0 ? [] : slots.filter((at) => at.getTime() >= cutoff).slice(-MAX_CATCH_UP_RUNS);
  const skipped = slots.filter((at) => !catchUp.includes(at));
  if (skipped.length === 0) return { catchUp };
  // Past the count, the missed range runs up to the slot before this one.
  const to = more > 0 ? (previousSlot(job.schedule, slot) ?? skipped.at(-1)!) : skipped.at(-1)!;
  return { catchUp, missed: { from: skipped[0]!.toISOString(), to: to.toISOString(), count: skipped.length + more } };
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
