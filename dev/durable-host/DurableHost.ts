/**
 * The in-process Durable Functions host: a development stand-in for the Functions host plus the Durable
 * extension. It drives orchestrations through durable-functions' own handler (the one the library
 * registers with `app.generic`), writes history as the extension does, runs the real activities, and on a
 * VirtualClock jumps to the next durable timer whenever nothing is running. Never shipped in the app.
 *
 * Scheduling: messages (completions, timer firings, raised events) go to an instance's inbox; an instance
 * runs one episode at a time over everything in its inbox, like a DurableTask.Core work item.
 */
import type { LogLevel } from "@azure/functions";
import {
  OrchestrationRuntimeStatus,
  type DurableClient,
  type DurableOrchestrationStatus,
  type OrchestrationFilter,
  type OrchestrationHandler as GeneratorOrchestration,
} from "durable-functions";
import { createOrchestrator } from "durable-functions/lib/src/util/testingUtils.js";
import { isVirtualClock, systemClock, type Clock } from "../clock";
import { activityInputFromAction, runActivity, serializedResult } from "./activityInvoker";
import { genericClientError, InProcessDurableClient, statusNotFoundMessage, type ClientBackend } from "./client";
import type { ExecutionOutcome, OrchestratorAnswer } from "./extensionShim";
import { createFunctionContext } from "./functionContext";
import { stuckInstanceMessage } from "./diagnostics";
import {
  completionEvent,
  continueAsNewInput,
  decisionEvent,
  instanceRef,
  serializedSubOrchestrationInput,
  subOrchestrationCompletedFor,
  subOrchestrationFailedFor,
} from "./executionEvents";
import {
  EventType,
  eventRaised,
  executionCompleted,
  executionStarted,
  executionTerminated,
  orchestratorCompleted,
  orchestratorStarted,
  OrchestrationStatusCode,
  subOrchestrationFailed,
  taskFailed,
  timerFired,
  type EventRaisedEvent,
  type ExecutionTerminatedEvent,
  type HistoryEvent,
  type ParentInstanceInfo,
} from "./historyEvents";
import type { ManagementUrlSettings } from "./httpManagement";
import { blocksNewStart, isFinished, newExecution, newGuidN, type Execution, type InstanceRecord } from "./instanceRecord";
import { invokeOrchestrator, orchestrationBinding } from "./orchestratorInvoker";
import type { Decision } from "./shimTasks";
import { toStatus, type StatusOptions } from "./statusView";
import { TimerQueue, type DurableTimer } from "./timerQueue";
import type {
  ActivityHandler,
  CapturedFunction,
  DurableHostOptions,
  HostLogRecord,
  HostStats,
  InstanceStats,
  OrchestrationHandler,
} from "./types";

const DEFAULT_MAX_EPISODES = 100_000;

export interface WaitForCompletionOptions {
  /** Wall-clock limit; without it the wait ends only with completion or when the instance is stuck. */
  timeoutMs?: number;
}

export class DurableHost {
  readonly clock: Clock;
  /** A `DurableClient` bound to this host (startNew, getStatus, raiseEvent, terminate, ...). */
  readonly client: DurableClient;

  readonly #orchestrations = new Map<string, OrchestrationHandler>();
  readonly #activities = new Map<string, ActivityHandler>();
  readonly #instances = new Map<string, InstanceRecord>();
  readonly #timers: TimerQueue;
  readonly #log: (record: HostLogRecord) => void;
  readonly #urls: ManagementUrlSettings;
  readonly #maxEpisodes: number;
  readonly #redelivery: NonNullable<DurableHostOptions["activityRedelivery"]>;
  /** Called when any instance changes state. */
  readonly #changeListeners = new Set<() => void>();
  /** Called when nothing is running and no timer is pending: only raised events can change anything. */
  readonly #quiescenceListeners = new Set<() => void>();
  #activitiesInFlight = 0;
  #pumpScheduled = false;
  #disposed = false;

  constructor(options: DurableHostOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.#log = options.log ?? (() => {});
    this.#maxEpisodes = options.maxEpisodesPerInstance ?? DEFAULT_MAX_EPISODES;
    this.#redelivery = options.activityRedelivery ?? (() => "none");
    this.#urls = {
      origin: options.webhookOrigin ?? "http://localhost:7071",
      taskHub: options.taskHub ?? "TestHubName",
      systemKey: options.systemKey ?? "in-process-host-system-key",
    };
    this.#timers = new TimerQueue(this.clock, () => this.#kick(), options.maxQueuePollingIntervalMs);
    this.client = new InProcessDurableClient(this.#clientBackend());
  }

  /** Registers what durable-functions passes to `app.generic` for an orchestration. */
  registerOrchestration(name: string, handler: OrchestrationHandler): this {
    this.#orchestrations.set(name, handler);
    return this;
  }

  /** Registers a generator orchestrator, wrapped with the library's `createOrchestrator` as `df.app.orchestration` does. */
  registerOrchestrator(name: string, orchestrator: GeneratorOrchestration): this {
    return this.registerOrchestration(name, createOrchestrator(orchestrator));
  }

  /** Registers what durable-functions passes to `app.generic` for an activity (or any `(input, context)` function). */
  registerActivity(name: string, handler: ActivityHandler): this {
    this.#activities.set(name, handler);
    return this;
  }

  /** Registers captured orchestrations (`orchestrationTrigger`) and activities (`activityTrigger`) by name. */
  registerCaptured(captured: readonly CapturedFunction[]): { orchestrations: string[]; activities: string[] } {
    const registered = { orchestrations: [] as string[], activities: [] as string[] };
    for (const fn of captured) {
      const trigger = Object.values(fn.metadata.bindings).find((binding) => binding.direction === "in" && binding.type.endsWith("Trigger"));
      if (trigger?.type === "orchestrationTrigger") {
        this.registerOrchestration(fn.name, fn.handler as OrchestrationHandler);
        registered.orchestrations.push(fn.name);
      } else if (trigger?.type === "activityTrigger") {
        this.registerActivity(fn.name, fn.handler as ActivityHandler);
        registered.activities.push(fn.name);
      }
    }
    return registered;
  }

  /**
   * Resolves with the final status (Completed, Failed, Terminated). Rejects when the instance is unknown,
   * when `timeoutMs` passes, or when the host is idle with no timer pending while the instance still runs:
   * then only a raised event could move it, and the error names the events it waits for.
   */
  waitForCompletion(instanceId: string, options: WaitForCompletionOptions = {}): Promise<DurableOrchestrationStatus> {
    return new Promise((resolve, reject) => {
      let timeout: NodeJS.Timeout | undefined;
      const settle = (outcome: () => void): void => {
        this.#changeListeners.delete(onChange);
        this.#quiescenceListeners.delete(onQuiescent);
        if (timeout !== undefined) clearTimeout(timeout);
        outcome();
      };
      const onChange = (): void => {
        const record = this.#instances.get(instanceId);
        if (record === undefined) settle(() => reject(new Error(statusNotFoundMessage(instanceId))));
        else if (isFinished(record.runtimeStatus)) settle(() => resolve(this.#status(record)));
      };
      const onQuiescent = (): void => {
        const record = this.#instances.get(instanceId);
        if (record === undefined || isFinished(record.runtimeStatus)) onChange();
        else settle(() => reject(new Error(stuckInstanceMessage(record, this.#instances.values()))));
      };
      this.#changeListeners.add(onChange);
      this.#quiescenceListeners.add(onQuiescent);
      if (options.timeoutMs !== undefined) {
        const limit = options.timeoutMs;
        timeout = setTimeout(() => {
          const status = this.#instances.get(instanceId)?.runtimeStatus ?? "unknown";
          settle(() => reject(new Error(`Timed out after ${limit} ms waiting for instance '${instanceId}' (runtimeStatus ${status})`)));
        }, limit);
      }
      onChange();
      this.#kick();
    });
  }

  /** Runs until nothing more can happen: no episode or activity running and no timer left (virtual time is advanced). */
  drain(): Promise<void> {
    return new Promise((resolve) => {
      const onQuiescent = (): void => {
        this.#quiescenceListeners.delete(onQuiescent);
        resolve();
      };
      this.#quiescenceListeners.add(onQuiescent);
      this.#kick();
    });
  }

  /** The current execution's history, as written (a copy). */
  history(instanceId: string): HistoryEvent[] {
    const record = this.#instances.get(instanceId);
    if (record === undefined) throw new Error(statusNotFoundMessage(instanceId));
    return JSON.parse(JSON.stringify(record.execution.history)) as HistoryEvent[];
  }

  stats(): HostStats {
    const instances: InstanceStats[] = [...this.#instances.values()].map((record) => ({
      instanceId: record.instanceId,
      name: record.name,
      runtimeStatus: record.runtimeStatus,
      episodes: record.episodes,
      executions: record.executions,
      activityCalls: record.activityCalls,
      maxHistoryLength: Math.max(record.maxHistoryLength, record.execution.history.length),
      currentHistoryLength: record.execution.history.length,
    }));
    return {
      instances,
      totals: {
        episodes: instances.reduce((sum, item) => sum + item.episodes, 0),
        activityCalls: instances.reduce((sum, item) => sum + item.activityCalls, 0),
        maxHistoryLength: instances.reduce((max, item) => Math.max(max, item.maxHistoryLength), 0),
      },
    };
  }

  /** Clears pending timers (real-clock timers would otherwise keep the process alive) and stops scheduling. */
  dispose(): void {
    this.#disposed = true;
    this.#timers.dispose();
  }

  // ---- client operations -------------------------------------------------------------------------------

  #clientBackend(): ClientBackend {
    return {
      urls: this.#urls,
      startInstance: (name, instanceId, input) => this.#startFromClient(name, instanceId, input),
      status: (instanceId, options) => {
        const record = this.#instances.get(instanceId);
        return record === undefined ? undefined : this.#status(record, options);
      },
      statuses: (filter) => [...this.#instances.values()].filter((record) => matchesFilter(record, filter)).map((record) => this.#status(record)),
      raiseEvent: (instanceId, eventName, data) => {
        const record = this.#instances.get(instanceId);
        if (record === undefined) return "notFound";
        if (isFinished(record.runtimeStatus)) return "gone";
        const input = data === undefined ? "null" : JSON.stringify(data);
        this.#deliver(instanceId, record.execution.executionId, eventRaised(this.clock.now(), eventName, input));
        return "accepted";
      },
      terminate: (instanceId, reason) => {
        const record = this.#instances.get(instanceId);
        if (record === undefined) return "notFound";
        if (isFinished(record.runtimeStatus)) return "gone";
        this.#deliver(instanceId, record.execution.executionId, executionTerminated(this.clock.now(), reason));
        return "accepted";
      },
      purge: (instanceId) => {
        const record = this.#instances.get(instanceId);
        if (record === undefined) return false;
        this.#discard(record);
        this.#notifyChange();
        return true;
      },
    };
  }

  /**
   * `DurableClient.StartNewAsync`: a new instance id is a dashless GUID; an existing id that is Pending,
   * Running or ContinuedAsNew is refused (extension default `OverridableExistingInstanceStates =
   * NonRunningStates`; the webhook answers with an error), a finished one is replaced.
   */
  #startFromClient(name: string, requestedId: string | undefined, input: unknown): string {
    if (!this.#orchestrations.has(name)) {
      throw genericClientError(400, this.#unknownFunctionMessage(name, "orchestrator", this.#orchestrations));
    }
    const instanceId = requestedId ?? newGuidN();
    const existing = this.#instances.get(instanceId);
    if (existing !== undefined && blocksNewStart(existing.runtimeStatus)) {
      throw genericClientError(500, {
        Message: "An error has occurred.",
        ExceptionMessage: `An Orchestration instance with the status ${existing.runtimeStatus} already exists.`,
        ExceptionType: "DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException",
      });
    }
    if (existing !== undefined) this.#discard(existing);
    this.#createInstance(name, instanceId, JSON.stringify(input ?? null), null);
    return instanceId;
  }

  #createInstance(name: string, instanceId: string, serializedInput: string, parent: ParentInstanceInfo | null): InstanceRecord {
    const now = this.clock.now();
    const execution = newExecution(name, serializedInput);
    const record: InstanceRecord = {
      instanceId,
      name,
      createdAt: now,
      parent,
      lastUpdatedAt: now,
      runtimeStatus: OrchestrationRuntimeStatus.Pending,
      execution,
      inbox: [executionStarted(now, { instance: instanceRef(instanceId, execution), parent, name, input: serializedInput })],
      busy: false,
      serializedOutput: null,
      customStatus: null,
      episodes: 0,
      executions: 1,
      activityCalls: 0,
      maxHistoryLength: 0,
    };
    this.#instances.set(instanceId, record);
    this.#notifyChange();
    this.#kick();
    return record;
  }

  #discard(record: InstanceRecord): void {
    this.#instances.delete(record.instanceId);
    this.#timers.remove((timer) => timer.instanceId === record.instanceId);
  }

  #status(record: InstanceRecord, options?: StatusOptions): DurableOrchestrationStatus {
    return toStatus(
      {
        name: record.name,
        instanceId: record.instanceId,
        createdAt: record.createdAt,
        lastUpdatedAt: record.lastUpdatedAt,
        runtimeStatus: record.runtimeStatus,
        serializedInput: record.execution.serializedInput,
        serializedOutput: record.serializedOutput,
        customStatus: record.customStatus,
        history: record.execution.history,
      },
      options,
    );
  }

  // ---- scheduling --------------------------------------------------------------------------------------

  /** Hands a message to the current execution; messages for other executions or finished instances are dropped, as in DurableTask.Core. */
  #deliver(instanceId: string, executionId: string, event: HistoryEvent): void {
    const record = this.#instances.get(instanceId);
    if (record === undefined || record.execution.executionId !== executionId || isFinished(record.runtimeStatus)) return;
    record.inbox.push(event);
    this.#kick();
  }

  #kick(): void {
    if (this.#pumpScheduled || this.#disposed) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#disposed) return;
    for (const timer of this.#timers.takeDue()) this.#fireTimer(timer);
    for (const record of [...this.#instances.values()]) {
      if (!record.busy && record.inbox.length > 0) void this.#runEpisode(record);
    }
    if (this.#isIdle()) this.#onIdle();
  }

  #isIdle(): boolean {
    if (this.#activitiesInFlight > 0) return false;
    for (const record of this.#instances.values()) if (record.busy || record.inbox.length > 0) return false;
    return true;
  }

  /** Nothing runs: move virtual time to the next timer, or tell waiters that only raised events could help now. */
  #onIdle(): void {
    const next = this.#timers.earliest();
    if (next !== undefined) {
      if (isVirtualClock(this.clock)) {
        this.clock.advanceTo(next);
        this.#kick();
      }
      return;
    }
    for (const listener of [...this.#quiescenceListeners]) listener();
  }

  #fireTimer(timer: DurableTimer): void {
    this.#deliver(timer.instanceId, timer.executionId, timerFired(timer.createdAt, timer.eventId, timer.fireAt));
  }

  #notifyChange(): void {
    for (const listener of [...this.#changeListeners]) listener();
  }

  // ---- episodes ----------------------------------------------------------------------------------------

  async #runEpisode(record: InstanceRecord): Promise<void> {
    record.busy = true;
    try {
      const batch = record.inbox.splice(0);
      const terminate = batch.find((event) => event.EventType === EventType.ExecutionTerminated);
      if (terminate !== undefined) this.#terminateExecution(record, batch, terminate as ExecutionTerminatedEvent);
      else await this.#orchestratorEpisode(record, batch);
    } catch (error) {
      this.#hostLog("error", `The host failed while processing '${record.name}': ${error instanceof Error ? error.stack : String(error)}`, record);
      this.#failForHostError(record, error);
    } finally {
      record.busy = false;
      this.#notifyChange();
      this.#kick();
    }
  }

  async #orchestratorEpisode(record: InstanceRecord, batch: HistoryEvent[]): Promise<void> {
    const now = this.clock.now();
    const execution = record.execution;
    execution.history.push(orchestratorStarted(now), ...batch);
    if (record.runtimeStatus === OrchestrationRuntimeStatus.Pending) record.runtimeStatus = OrchestrationRuntimeStatus.Running;
    await this.#executeAndCommit(record, execution, batch, now);
  }

  /** Runs the orchestrator over the whole history, then writes what the extension writes and acts on it. */
  async #executeAndCommit(record: InstanceRecord, execution: Execution, delivered: readonly HistoryEvent[], now: number): Promise<void> {
    record.episodes += 1;
    const episodeStart = execution.history.findLastIndex((event) => event.EventType === EventType.OrchestratorStarted);
    const episodeInputEnd = execution.history.length;
    const answer = await this.#invoke(record, execution);
    if (this.#instances.get(record.instanceId) !== record || record.execution !== execution) return; // purged or replaced meanwhile

    const result = execution.shim.runEpisode(answer, delivered, now);
    for (const warning of result.warnings) {
      if (execution.reportedWarnings.has(warning)) continue;
      execution.reportedWarnings.add(warning);
      this.#hostLog("warning", warning, record);
    }
    const writtenAt = this.clock.now();
    for (const decision of result.decisions) execution.history.push(decisionEvent(decision, writtenAt));
    this.#timers.remove(
      (timer) =>
        timer.instanceId === record.instanceId && timer.executionId === execution.executionId && result.cancelledTimerIds.includes(timer.eventId),
    );
    const customStatus = answer.state?.customStatus;
    if (customStatus !== undefined && customStatus !== null) record.customStatus = customStatus;

    const outcome = result.outcome;
    if (outcome !== undefined) execution.history.push(completionEvent(execution, outcome, writtenAt));
    // TaskOrchestrationDispatcher: OrchestratorCompleted closes the episode unless it continued as new.
    if (outcome?.kind !== "continuedAsNew" && execution.history.at(-1)?.EventType !== EventType.OrchestratorCompleted) {
      execution.history.push(orchestratorCompleted(writtenAt));
    }
    // As the Azure Storage provider keeps them (measured on the real extension, test/conformance): the events
    // the episode was given are played on later replays, except its OrchestratorStarted; the ones it wrote
    // (decisions, OrchestratorCompleted) stay IsPlayed false for good.
    for (const event of execution.history.slice(episodeStart, episodeInputEnd)) {
      if (event.EventType !== EventType.OrchestratorStarted) event.IsPlayed = true;
    }
    record.lastUpdatedAt = writtenAt;
    record.maxHistoryLength = Math.max(record.maxHistoryLength, execution.history.length);
    if (outcome === undefined && !isFinished(record.runtimeStatus)) record.runtimeStatus = OrchestrationRuntimeStatus.Running;

    // Messages: with continue-as-new, DurableTask.Core sends sub-orchestration starts but no activities or timers.
    const continuing = outcome?.kind === "continuedAsNew";
    for (const decision of result.decisions) this.#dispatch(record, execution, decision, writtenAt, continuing);
    if (outcome !== undefined) await this.#finishExecution(record, execution, outcome);
  }

  async #invoke(record: InstanceRecord, execution: Execution): Promise<OrchestratorAnswer> {
    const handler = this.#orchestrations.get(record.name);
    if (handler === undefined) {
      const message = this.#unknownFunctionMessage(record.name, "orchestrator", this.#orchestrations);
      return { kind: "error", state: undefined, message, stack: "" };
    }
    if (record.episodes > this.#maxEpisodes) {
      const message = `The in-process host stopped instance '${record.instanceId}' after ${this.#maxEpisodes} episodes (maxEpisodesPerInstance); is it looping forever?`;
      return { kind: "error", state: undefined, message, stack: "" };
    }
    const context = createFunctionContext({
      functionName: record.name,
      functionKind: "orchestrator",
      instanceId: record.instanceId,
      clock: this.clock,
      log: this.#log,
    });
    const binding = orchestrationBinding({
      instanceId: record.instanceId,
      parentInstanceId: record.parent?.OrchestrationInstance.InstanceId ?? null,
      history: execution.history,
      serializedInput: execution.serializedInput,
      // DurableTaskExtension: context.IsReplaying = runtimeState.ExecutionStartedEvent.IsPlayed.
      isReplaying: execution.history.some((event) => event.EventType === EventType.ExecutionStarted && event.IsPlayed),
    });
    return invokeOrchestrator(handler, binding, context);
  }

  #dispatch(record: InstanceRecord, execution: Execution, decision: Decision, at: number, continuingAsNew: boolean): void {
    switch (decision.kind) {
      case "scheduleActivity":
        if (continuingAsNew) return;
        record.activityCalls += 1;
        void this.#runActivity(record.instanceId, execution.executionId, decision);
        return;
      case "createTimer":
        if (continuingAsNew) return;
        this.#timers.add({ instanceId: record.instanceId, executionId: execution.executionId, eventId: decision.eventId, fireAt: decision.fireAt, createdAt: at });
        return;
      case "createSubOrchestration":
        this.#startSubOrchestration(record, execution, decision);
        return;
    }
  }

  async #runActivity(instanceId: string, executionId: string, decision: Extract<Decision, { kind: "scheduleActivity" }>): Promise<void> {
    this.#activitiesInFlight += 1;
    try {
      const handler = this.#activities.get(decision.name);
      const missing = handler === undefined ? this.#unknownFunctionMessage(decision.name, "activity", this.#activities) : "";
      const event =
        handler === undefined
          ? // TaskNonexistentActivityShim: the activity fails; details must be a string for the library to read it.
            taskFailed(this.clock.now(), decision.eventId, missing, missing, null)
          : await this.#executeActivity(handler, instanceId, decision);
      this.#deliver(instanceId, executionId, event);
    } catch (error) {
      this.#hostLog("error", `The host failed while running activity '${decision.name}': ${error instanceof Error ? error.stack : String(error)}`);
    } finally {
      this.#activitiesInFlight -= 1;
      this.#kick();
    }
  }

  /** One delivery of an activity, or two when `activityRedelivery` asks for it (at-least-once). */
  async #executeActivity(handler: ActivityHandler, instanceId: string, decision: Extract<Decision, { kind: "scheduleActivity" }>): Promise<HistoryEvent> {
    const execute = () =>
      runActivity(
        handler,
        activityInputFromAction(decision.input),
        createFunctionContext({ functionName: decision.name, functionKind: "activity", instanceId, clock: this.clock, log: this.#log }),
        { taskScheduledId: decision.eventId, activityName: decision.name, now: () => this.clock.now() },
      );
    switch (this.#redelivery(decision.name, activityInputFromAction(decision.input))) {
      case "none":
        return execute();
      case "afterCompletion":
        await execute();
        return execute();
      case "concurrently": {
        // The first to finish is the one delivered; the host stays busy (virtual time still) until both end.
        const executions = [execute(), execute()];
        const first = await Promise.race(executions);
        await Promise.allSettled(executions);
        return first;
      }
    }
  }

  /** `ProcessCreateSubOrchestrationInstanceDecision`: the child starts with ParentInstance pointing back here. */
  #startSubOrchestration(parent: InstanceRecord, execution: Execution, decision: Extract<Decision, { kind: "createSubOrchestration" }>): void {
    const parentInfo: ParentInstanceInfo = {
      Name: parent.name,
      Version: "",
      TaskScheduleId: decision.eventId,
      OrchestrationInstance: { InstanceId: parent.instanceId, ExecutionId: execution.executionId },
    };
    const refuse = (reason: string): void => {
      this.#deliver(parent.instanceId, execution.executionId, subOrchestrationFailed(this.clock.now(), decision.eventId, reason, reason));
    };
    if (!this.#orchestrations.has(decision.name)) {
      refuse(this.#unknownFunctionMessage(decision.name, "orchestrator", this.#orchestrations));
      return;
    }
    const existing = this.#instances.get(decision.instanceId);
    if (existing !== undefined && blocksNewStart(existing.runtimeStatus)) {
      refuse(`An Orchestration instance with the status ${existing.runtimeStatus} already exists.`);
      return;
    }
    if (existing !== undefined) this.#discard(existing);
    this.#createInstance(decision.name, decision.instanceId, serializedSubOrchestrationInput(decision.input), parentInfo);
  }

  async #finishExecution(record: InstanceRecord, execution: Execution, outcome: ExecutionOutcome): Promise<void> {
    this.#timers.remove((timer) => timer.instanceId === record.instanceId && timer.executionId === execution.executionId);
    switch (outcome.kind) {
      case "completed":
        record.runtimeStatus = OrchestrationRuntimeStatus.Completed;
        record.serializedOutput = serializedResult(outcome.output);
        this.#notifyParent(record, subOrchestrationCompletedFor(record, this.clock.now(), record.serializedOutput));
        return;
      case "failed":
        record.runtimeStatus = OrchestrationRuntimeStatus.Failed;
        record.serializedOutput = outcome.reason;
        this.#hostLog("warning", outcome.reason, record);
        this.#notifyParent(record, subOrchestrationFailedFor(record, this.clock.now(), outcome.reason, outcome.details));
        return;
      case "continuedAsNew":
        await this.#startNextGeneration(record, outcome);
        return;
    }
  }

  /**
   * The dispatcher's continue-as-new loop: a fresh history [OrchestratorStarted, ExecutionStarted (new
   * ExecutionId, same ParentInstance), carried-over events, OrchestratorCompleted], executed at once in the
   * same work item, so the new generation's first decisions follow that OrchestratorCompleted.
   */
  async #startNextGeneration(record: InstanceRecord, outcome: Extract<ExecutionOutcome, { kind: "continuedAsNew" }>): Promise<void> {
    const serializedInput = continueAsNewInput(outcome.input);
    const next = newExecution(record.name, serializedInput);
    record.execution = next;
    record.executions += 1;
    record.runtimeStatus = OrchestrationRuntimeStatus.ContinuedAsNew;
    const now = this.clock.now();
    const started = executionStarted(now, { instance: instanceRef(record.instanceId, next), parent: record.parent, name: record.name, input: serializedInput });
    const carried: EventRaisedEvent[] = outcome.carryover.map((event) => ({ ...event, IsPlayed: false }));
    next.history.push(orchestratorStarted(now), started, ...carried, orchestratorCompleted(now));
    await this.#executeAndCommit(record, next, [started, ...carried], now);
  }

  #terminateExecution(record: InstanceRecord, batch: HistoryEvent[], terminate: ExecutionTerminatedEvent): void {
    const now = this.clock.now();
    const execution = record.execution;
    const reason = terminate.Input;
    execution.history.push(orchestratorStarted(now), ...batch);
    execution.history.push(executionCompleted(now, execution.shim.allocateCompletionEventId(), OrchestrationStatusCode.Terminated, reason));
    execution.history.push(orchestratorCompleted(now));
    for (const event of execution.history) event.IsPlayed = true;
    record.runtimeStatus = OrchestrationRuntimeStatus.Terminated;
    record.serializedOutput = reason;
    record.lastUpdatedAt = now;
    record.maxHistoryLength = Math.max(record.maxHistoryLength, execution.history.length);
    this.#timers.remove((timer) => timer.instanceId === record.instanceId);
    // A terminated child reports SubOrchestrationInstanceFailed with the reason and no details.
    this.#notifyParent(record, subOrchestrationFailedFor(record, now, reason ?? "", null));
  }

  /** Last resort when the host itself throws: fail the instance visibly instead of leaving it hanging. */
  #failForHostError(record: InstanceRecord, error: unknown): void {
    if (isFinished(record.runtimeStatus)) return;
    const now = this.clock.now();
    const reason = record.execution.shim.failureReason(error instanceof Error ? error.message : String(error));
    record.execution.history.push(executionCompleted(now, record.execution.shim.allocateCompletionEventId(), OrchestrationStatusCode.Failed, reason));
    record.execution.history.push(orchestratorCompleted(now));
    record.runtimeStatus = OrchestrationRuntimeStatus.Failed;
    record.serializedOutput = reason;
    record.lastUpdatedAt = now;
    this.#timers.remove((timer) => timer.instanceId === record.instanceId);
    this.#notifyParent(record, subOrchestrationFailedFor(record, now, reason, reason));
  }

  #notifyParent(child: InstanceRecord, event: HistoryEvent | undefined): void {
    if (child.parent === null || event === undefined) return;
    const { InstanceId, ExecutionId } = child.parent.OrchestrationInstance;
    this.#deliver(InstanceId, ExecutionId, event);
  }

  // ---- diagnostics -------------------------------------------------------------------------------------

  #unknownFunctionMessage(name: string, kind: "orchestrator" | "activity", known: Map<string, unknown>): string {
    const names = [...known.keys()].map((item) => `'${item}'`).join(", ");
    return `The function '${name}' doesn't exist, is disabled, or is not an ${kind} function. Additional info: The following are the known ${kind} functions: ${names}.`;
  }

  #hostLog(level: LogLevel, message: string, record?: InstanceRecord): void {
    this.#log({
      time: this.clock.now(),
      level,
      category: "host",
      ...(record !== undefined ? { instanceId: record.instanceId, functionName: record.name, functionKind: "orchestrator" as const } : {}),
      message,
    });
  }
}

function matchesFilter(record: InstanceRecord, filter: OrchestrationFilter | undefined): boolean {
  if (filter === undefined) return true;
  if (filter.createdTimeFrom !== undefined && record.createdAt < filter.createdTimeFrom.getTime()) return false;
  if (filter.createdTimeTo !== undefined && record.createdAt > filter.createdTimeTo.getTime()) return false;
  const statuses = filter.runtimeStatus ?? [];
  return statuses.length === 0 || statuses.includes(record.runtimeStatus);
}
