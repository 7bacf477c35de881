/**
 * Activity failures as `npm run job` prints them. Every activity of a run is called with a retry
 * policy, so a failed try is followed by a wait and another try, which would otherwise go unseen until
 * the run ends. The failures are read from the orchestrator episodes (the episode journal), where each
 * arrives as a TaskFailed event carrying the activity's (already redacted) error message.
 */
import type { EpisodeRecord } from "../durable-host/episodeJournal";

/** Characters of a failure's reason printed; the rest of a long ARM message adds nothing on a terminal. */
export const MAX_REASON_LENGTH = 240;

const ACTIVITY_FAILED = /^Activity function '([^']+)' failed: ?(.*)$/su;

export interface ActivityFailureLine {
  /** When the failure reached the orchestration (host clock, ms). */
  readonly at: number;
  readonly message: string;
}

/** One line per activity failure new in `episode`: the activity, and the first line of its reason, bounded. */
export function activityFailureLines(episode: EpisodeRecord, redact: (text: string) => string = (text) => text): ActivityFailureLine[] {
  const at = episode.startedAt === undefined ? Number.NaN : Date.parse(episode.startedAt);
  return episode.newEvents.flatMap((event) => {
    if (event.type !== "TaskFailed" || event.reason === undefined) return [];
    const match = ACTIVITY_FAILED.exec(event.reason);
    const activity = match?.[1] ?? "an activity";
    const reason = oneLine(redact(match?.[2] ?? event.reason));
    return [{ at, message: `activity ${activity} failed (retried while its tries last): ${reason}` }];
  });
}

function oneLine(text: string): string {
  const first = text.split(/\r?\n/u).find((line) => line.trim() !== "")?.trim() ?? "(no message)";
  return first.length > MAX_REASON_LENGTH ? `${first.slice(0, MAX_REASON_LENGTH - 3)}...` : first;
}
