import { loadJobs, type JobRegistry } from "../../src/jobs";
import { timerFunctionName } from "../../src/functions/scheduledRuns";

/** The functions every deployment has, whatever its jobs. */
const FIXED_FUNCTIONS = [
  "cancelJobRun",
  "backfillJob",
  "collectContainerLogs",
  "createContainerGroup",
  "deleteContainerGroup",
  "getJob",
  "getJobRun",
  "getJobRunLogs",
  "getOpenApiDocument",
  "leaveQueue",
  "listJobRuns",
  "listJobs",
  "listRuns",
  "notifyRun",
  "observeContainerGroup",
  "pauseJob",
  "purgeRunHistory",
  "recordRunFinished",
  "recordScheduledRunOutcome",
  "rerunJobRun",
  "releaseRunSlot",
  "resumeJob",
  "runJob",
  "startJobRun",
  "sweepOrphanedGroups",
  "takeQueuedSlot",
  "watchContainerGroup",
] as const;

/**
 * Every function the app registers with the Functions host, by name (for the registration checks): the
 * fixed ones and a timer per scheduled job, read from the job registry so that adding a job as
 * docs/jobs.md says keeps the suite green.
 */
export const APP_FUNCTIONS: readonly string[] = appFunctionsFor(loadJobs());

/** The functions an app with these jobs registers. */
export function appFunctionsFor(jobs: JobRegistry): string[] {
  const timers = jobs.all.filter((job) => job.schedule).map((job) => timerFunctionName(job.id));
  return [...FIXED_FUNCTIONS, ...timers].sort();
}
