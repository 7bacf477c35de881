/**
 * What an orchestrator invocation returns: durable-functions' `OrchestratorState`
 * (`lib/src/orchestrations/OrchestratorState.js`) with its actions (`lib/src/actions/*.js`), read here
 * after a JSON round trip, exactly as the extension receives it (`OutOfProcOrchestrationShim.AsyncAction`).
 */

/** durable-functions `ActionType` / the extension's `AsyncActionType`. */
export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

export const ActionTypeName: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(ActionType).map(([name, value]) => [value, name]),
);

/** `RetryOptions` fields as the library serializes them (`lib/src/RetryOptions.js`). */
export interface WireRetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

/** One action after JSON round trip; only the fields of its actionType are present. */
export interface WireAction {
  actionType: number;
  functionName?: string;
  /** CallActivity/ContinueAsNew: strings arrive JSON-encoded once more (`Utils.processInput`). */
  input?: unknown;
  retryOptions?: WireRetryOptions;
  instanceId?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: WireAction[];
}

export interface OrchestratorStateJson {
  isDone: boolean;
  actions: WireAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion: number;
}

/** The replay schema the host advertises: V4, the latest durable-functions 3.5.0 knows (`ReplaySchema.js`). */
export const HOST_REPLAY_SCHEMA = 3;
/** What the extension sends as `upperSchemaVersion` for old SDKs (Python compatibility field, V2). */
export const LEGACY_UPPER_SCHEMA = 1;
/** The lowest schema whose actions come as one append-only list (`OutOfProcOrchestrationShim`: V2/V3 path). */
const FIRST_SINGLE_LIST_SCHEMA = 1;

/** Parses the orchestrator state the way the shim does, with a clear error for anything it would reject. */
export function parseOrchestratorState(value: unknown): OrchestratorStateJson {
  if (typeof value !== "object" || value === null) {
    throw new Error("Out of proc orchestrators must return a valid JSON schema (got a non-object state)");
  }
  const state = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  if (typeof state.isDone !== "boolean" || !Array.isArray(state.actions)) {
    throw new Error(`Out of proc orchestrators must return a valid JSON schema: ${JSON.stringify(state).slice(0, 300)}`);
  }
  const schemaVersion = typeof state.schemaVersion === "number" ? state.schemaVersion : 0;
  if (schemaVersion < FIRST_SINGLE_LIST_SCHEMA) {
    throw new Error(`The in-process host speaks replay schema V2 or later; the orchestrator answered with schema ${schemaVersion}`);
  }
  if (state.actions.length !== 1 || !Array.isArray(state.actions[0])) {
    throw new Error(
      `With OOProc schema ${schemaVersion}, expected actions array to be of length 1 in outer layer but got size: ${state.actions.length}`,
    );
  }
  return state as unknown as OrchestratorStateJson;
}

export function describeAction(action: WireAction): string {
  const type = ActionTypeName[action.actionType] ?? `ActionType ${action.actionType}`;
  if (action.functionName !== undefined) return `${type} '${action.functionName}'`;
  if (action.externalEventName !== undefined) return `${type} '${action.externalEventName}'`;
  if (action.fireAt !== undefined) return `${type} ${action.fireAt}`;
  return type;
}
