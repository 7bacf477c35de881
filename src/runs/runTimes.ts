/**
 * @module
 * A run's times ({@link RunTimes}), fixed when the run starts: the slot it is for, its logical date and
 * its data interval, as Airflow gives a DAG run (`logical_date`, `data_interval_start`, `data_interval_end`).
 */
import type { JobSpec } from "../jobs/definition";
import type { RunTimes } from "../jobs/runContext";
import { isoSeconds as iso } from "../jobs/instant";
import { previousSlot } from "../jobs/schedule";
import { wallTimeAt } from "../jobs/timeZone";

/**
 * With a slot (a timer firing, or a request naming a past slot): the interval runs from the schedule's
 * previous slot to this one. Without one (a request, `npm run job`): the logical date is when the run was
 * requested and the interval is that instant, as for Airflow's manually triggered runs.
 */
export function runTimesFor(job: Pick<JobSpec, "schedule">, slot: Date | undefined, requestedAt: Date): RunTimes {
  const logical = slot ?? requestedAt;
  const start = slot && job.schedule ? (previousSlot(job.schedule, slot) ?? slot) : logical;
  const timeZone = job.schedule?.timeZone ?? "UTC";
  const day = new Date(timeZone === "UTC" ? logical.getTime() : wallTimeAt(timeZone, logical.getTime())).toISOString().slice(0, 10);
  return {
    ...(slot ? { slot: iso(slot) } : {}),
    logicalDate: iso(logical),
    ds: day,
    intervalStart: iso(start),
    intervalEnd: iso(logical),
  };
}
