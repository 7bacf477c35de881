/**
 * @module
 * What a job's webhook receives (job field `notify`, docs/jobs.md): a JSON summary of a finished run, or of
 * slots a schedule missed. `text` is what Slack incoming webhooks and Teams workflows show; the other
 * fields are for receivers that read JSON. Plain data without I/O: the orchestration builds it, and it
 * holds nothing secret (the log tail is the run's redacted tail; the webhook URL is never in it).
 */
import type { NotifyEvent } from "../jobs/definition";
import type { RunResult } from "./contracts";

export interface RunNotification {
  /** One or two lines for chat: job, state and why. */
  readonly text: string;
  readonly job: string;
  readonly state: NotifyEvent;
  readonly runId?: string;
  readonly reason?: string;
  readonly exitCode?: number;
  readonly detail: string;
  /** The last lines the container printed (at most 20, redacted). */
  readonly logTail?: readonly string[];
  /** GET of the run in the app's API (needs a function key). */
  readonly runUrl?: string;
  /** For `missed`: the first slot missed and how many. */
  readonly slot?: string;
  readonly count?: number;
}

const TAIL_LINES = 20;
const EMOJI: Readonly<Record<NotifyEvent, string>> = { succeeded: "✅", failed: "❌", timedOut: "⏱️", canceled: "🛑", missed: "⚠️" };

/** The notification of a finished run (its link is added where the app's address is known: {@link withRunUrl}). */
export function runNotification(result: RunResult): RunNotification {
  const last = result.attempts.at(-1);
  const tail = last?.logTail.slice(-TAIL_LINES);
  return {
    text: `${EMOJI[result.status]} ${result.jobId}: run ${result.runId} ${result.status}. ${result.detail}`,
    job: result.jobId,
    state: result.status,
    runId: result.runId,
    ...(last?.reason ? { reason: last.reason } : {}),
    ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }),
    detail: result.detail,
    ...(tail && tail.length > 0 ? { logTail: tail } : {}),
  };
}

/** Adds the run's address in the app (`baseUrl`: https://<app>.azurewebsites.net) to the notification and its text. */
export function withRunUrl(notification: RunNotification, baseUrl: string | undefined): RunNotification {
  if (!baseUrl || !notification.runId) return notification;
  const runUrl = `${baseUrl}/api/jobs/${notification.job}/runs/${notification.runId}`;
  return { ...notification, text: `${notification.text}\n${runUrl}`, runUrl };
}

/** The notification of slots a schedule missed (the app was down past its catch-up window, or overlap skipped them). */
export function missedNotification(job: string, slot: string, count: number, detail: string): RunNotification {
  return { text: `${EMOJI.missed} ${job}: ${detail}`, job, state: "missed", detail, slot, count };
}
