/**
 * @module
 * A journal of orchestrator episodes as the worker sees them: for each invocation of an orchestration
 * handler, the events of that episode (from its OrchestratorStarted on), which events of the history were
 * marked played, and what it answered (actions, output, custom status, or its failure). Both the in-process host and the local Functions host's worker wrap the same
 * durable-functions handler with {@link journalEpisodes}, so the conformance tests compare what the
 * real Durable extension and the imitation of it deliver, episode by episode.
 */
import { EventTypeName, type HistoryEvent } from "./historyEvents";
import { ActionTypeName } from "./orchestratorState";
import type { OrchestrationBindingInfo, OrchestrationHandler } from "./types";

export interface JournalEvent {
  readonly type: string;
  /** The activity, sub-orchestration or timer's defining detail, where the event has one. */
  readonly name?: string;
  readonly fireAt?: string;
  /** TaskFailed / SubOrchestrationInstanceFailed: the failure reason as delivered. */
  readonly reason?: string;
  readonly details?: string | null;
  /** TaskScheduled / SubOrchestrationInstanceCreated: the Input field as delivered (the real extension sends null). */
  readonly input?: unknown;
  /** ExecutionStarted / TaskCompleted: the payload as delivered. */
  readonly payload?: unknown;
}

export interface JournalAction {
  readonly type: string;
  readonly name?: string;
  readonly fireAt?: string;
  readonly instanceId?: string;
  readonly input?: unknown;
}

export interface EpisodeRecord {
  readonly instanceId: string;
  readonly orchestration: string;
  /** When the episode ran (the Timestamp of its OrchestratorStarted). */
  readonly startedAt: string | undefined;
  /** The events of this episode: from its OrchestratorStarted to the end of the history it was given. */
  readonly newEvents: readonly JournalEvent[];
  /** Every event of the history it was given, as its type, with " (new)" where IsPlayed was false. */
  readonly history: readonly string[];
  readonly actions: readonly JournalAction[];
  readonly isDone: boolean;
  readonly output?: unknown;
  readonly customStatus?: unknown;
  /** The orchestrator threw: the message durable-functions put in its error. */
  readonly error?: string;
}

type RawEvent = HistoryEvent & Record<string, unknown>;

function journalEvent(event: RawEvent): JournalEvent {
  const type = EventTypeName[event.EventType] ?? String(event.EventType);
  switch (type) {
    case "TaskScheduled":
    case "SubOrchestrationInstanceCreated":
      return { type, name: String(event.Name), input: event.Input ?? null };
    case "TimerCreated":
    case "TimerFired":
      return { type, fireAt: new Date(String(event.FireAt)).toISOString() };
    case "TaskFailed":
    case "SubOrchestrationInstanceFailed":
      return { type, reason: String(event.Reason), details: (event.Details as string | null | undefined) ?? null };
    case "TaskCompleted":
    case "SubOrchestrationInstanceCompleted":
      return { type, payload: event.Result ?? null };
    case "ExecutionStarted":
      return { type, name: String(event.Name), payload: event.Input ?? null };
    default:
      return { type };
  }
}

function flattenActions(actions: unknown): JournalAction[] {
  const list: JournalAction[] = [];
  for (const action of (Array.isArray(actions) ? actions.flat(2) : []) as Record<string, unknown>[]) {
    const type = ActionTypeName[action.actionType as number] ?? String(action.actionType);
    if (Array.isArray(action.compoundActions)) {
      list.push({ type }, ...flattenActions(action.compoundActions));
      continue;
    }
    list.push({
      type,
      ...(typeof action.functionName === "string" ? { name: action.functionName } : {}),
      ...(action.fireAt ? { fireAt: new Date(String(action.fireAt)).toISOString() } : {}),
      ...(typeof action.instanceId === "string" ? { instanceId: action.instanceId } : {}),
      ...("input" in action ? { input: action.input } : {}),
    });
  }
  return list;
}

const OUT_OF_PROC_DATA_LABEL = "$OutOfProcData$:";

/** Wraps an orchestration handler so each invocation is written to `sink` (the handler's behaviour is unchanged). */
export function journalEpisodes(name: string, handler: OrchestrationHandler, sink: (record: EpisodeRecord) => void): OrchestrationHandler {
  return async (binding: OrchestrationBindingInfo, context) => {
    // Copied before the call: durable-functions rewrites the events in place (Timestamps into Dates).
    const history = JSON.parse(JSON.stringify(binding.history)) as RawEvent[];
    const lastStart = history.findLastIndex((event) => EventTypeName[event.EventType] === "OrchestratorStarted");
    const episode = history.slice(Math.max(0, lastStart));
    const base = {
      instanceId: binding.instanceId,
      orchestration: name,
      startedAt: episode[0]?.Timestamp,
      newEvents: episode.map(journalEvent),
      history: history.map((event) => `${EventTypeName[event.EventType] ?? event.EventType}${event.IsPlayed ? "" : " (new)"}`),
    };
    try {
      const state = (await handler(binding, context)) as Record<string, unknown>;
      sink({ ...base, actions: flattenActions(state.actions), isDone: state.isDone === true, output: state.output, customStatus: state.customStatus });
      return state;
    } catch (thrown) {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      const at = message.indexOf(OUT_OF_PROC_DATA_LABEL);
      const state = at >= 0 ? (JSON.parse(message.slice(at + OUT_OF_PROC_DATA_LABEL.length)) as Record<string, unknown>) : {};
      sink({
        ...base,
        actions: flattenActions(state.actions),
        isDone: true,
        customStatus: state.customStatus,
        error: at >= 0 ? message.slice(0, at).trim() : message,
      });
      throw thrown;
    }
  };
}
