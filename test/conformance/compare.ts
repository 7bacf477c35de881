/**
 * What the conformance suite compares, with what legitimately differs between two runs taken out: run
 * ids, group names and instance ids derived from them, timestamps and durations. Everything else in an
 * episode (the events it was given, in order, with failure reasons and whether inputs were sent, the
 * actions it answered, whether it finished, its custom status and output) must be the same.
 */
import type { EpisodeRecord, JournalEvent } from "../../dev/durable-host/episodeJournal";

const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?/gu;
const COMPACT_TIME = /\d{8}T\d{6}Z/gu;

/** Replaces each given id (longest first) and every timestamp with a placeholder. */
export function scrubber(ids: Readonly<Record<string, string>>): (value: unknown) => unknown {
  const pairs = Object.entries(ids).sort((a, b) => b[0].length - a[0].length);
  const scrubText = (text: string) => {
    let out = text;
    for (const [id, placeholder] of pairs) out = out.split(id).join(placeholder);
    return out.replace(ISO_TIME, "<time>").replace(COMPACT_TIME, "<time>");
  };
  const scrub = (value: unknown): unknown => {
    if (typeof value === "string") return scrubText(value);
    if (Array.isArray(value)) return value.map(scrub);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, scrub(inner)]));
    return value;
  };
  return scrub;
}

/** A failure's details as the orchestration could read them: which exception, its message, and what it wraps. */
function detailsShape(details: string): unknown {
  try {
    type Serialized = { $type?: string; Message?: string; InnerException?: Serialized | null };
    const typeOf = (exception: Serialized) => exception.$type?.split(",")[0];
    const parsed = JSON.parse(details) as Serialized;
    return {
      type: typeOf(parsed),
      message: parsed.Message,
      inner: parsed.InnerException ? { type: typeOf(parsed.InnerException), firstLine: parsed.InnerException.Message?.split("\n")[0] } : null,
    };
  } catch {
    return { text: details.split("\n")[0] };
  }
}

function describeEvent(event: JournalEvent, scrub: (value: unknown) => unknown): string {
  const parts = [event.type];
  if (event.name) parts.push(event.name);
  if (event.type === "TaskScheduled" || event.type === "SubOrchestrationInstanceCreated") parts.push(event.input === null ? "(input null)" : "(input sent)");
  if (event.reason !== undefined) parts.push(`reason=${JSON.stringify(scrub(event.reason))}`);
  if (event.details) parts.push(`details=${JSON.stringify(detailsShape(event.details))}`);
  return parts.join(" ");
}

export interface ComparableEpisode {
  readonly events: readonly string[];
  readonly history: readonly string[];
  readonly actions: readonly string[];
  readonly isDone: boolean;
  readonly customStatus: unknown;
  readonly output: unknown;
  readonly error?: unknown;
}

/** The episodes of one instance, in order, comparable across hosts. */
export function episodesOf(journal: readonly EpisodeRecord[], instanceId: string, scrub: (value: unknown) => unknown, summarize: (output: unknown) => unknown = (o) => o): ComparableEpisode[] {
  return journal
    .filter((record) => record.instanceId === instanceId)
    .map((record) => ({
      events: record.newEvents.filter((event) => event.type !== "OrchestratorStarted").map((event) => describeEvent(event, scrub)),
      history: record.history,
      actions: record.actions.map((action) => [action.type, action.name, action.instanceId === undefined ? undefined : scrub(action.instanceId)].filter(Boolean).join(" ")),
      isDone: record.isDone,
      customStatus: scrub(record.customStatus ?? null),
      output: scrub(record.isDone ? summarize(record.output) : null),
      ...(record.error === undefined ? {} : { error: scrub(record.error) }),
    }));
}

/** A run result without its timings (which depend on the clock), keeping every decision it records. */
export function runSummary(output: unknown): unknown {
  if (!output || typeof output !== "object") return output;
  const { startedAt: _s, finishedAt: _f, attempts, ...rest } = output as Record<string, unknown>;
  return {
    ...rest,
    attempts: (attempts as Record<string, unknown>[] | undefined)?.map(({ startedAt: _a, finishedAt: _b, timings: _t, ...attempt }) => attempt),
  };
}
