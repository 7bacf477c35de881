/**
 * @module
 * Activities over one container group. A factory over an injected {@link AciClient}, wired once in
 * src/index.ts; nothing here reads settings. Terminal outcomes are returned as tagged results, and only
 * transient faults are thrown (so the orchestration's retry policy retries exactly those).
 */
import type { InvocationContext } from "@azure/functions";
import type { AciClient } from "../aci/client";
import { AciError } from "../aci/client";
import { containerNameFor, isOwnedBy, ownerOf, toContainerGroup } from "../aci/containerGroup";
import { boundedTail, parseTimestampedLog, takeNewLines, type LogCursor } from "../aci/logs";
import { observeContainerGroup } from "../aci/observation";
import {
  Activities,
  type AttemptRef,
  type CollectContainerLogsInput,
  type CollectContainerLogsResult,
  type CreateContainerGroupInput,
  type CreateContainerGroupResult,
  type DeleteContainerGroupInput,
  type DeleteContainerGroupResult,
  type ObserveContainerGroupInput,
  type ObserveContainerGroupResult,
} from "./contracts";

export type ContainerGroupApi = Pick<AciClient, "get" | "create" | "logs" | "delete">;

/** ACI keeps at most 1,000 lines / 16 KB of a stopped container's log (aci-rest-api.md §7). */
const STOPPED_LOG_LINES = 1_000;
const STOPPED_LOG_BYTES = 16 * 1024;

export function createContainerGroupActivities(aci: ContainerGroupApi) {
  return {
    async [Activities.createContainerGroup](
      input: CreateContainerGroupInput,
      context: InvocationContext,
    ): Promise<CreateContainerGroupResult> {
      try {
        return await createGroup(aci, input, context);
      } catch (error) {
        // Terminal refusals (bad definition, quota, authorization) end the attempt with a reason; only
        // transient faults go back to Durable to retry.
        if (error instanceof AciError && !error.transient) {
          context.error(`${label(input)} ARM rejected container group ${input.groupName}: ${error.code}: ${error.message}`);
          return { kind: "rejected", code: error.code, message: error.message };
        }
        throw error;
      }
    },

    async [Activities.observeContainerGroup](
      input: ObserveContainerGroupInput,
      context: InvocationContext,
    ): Promise<ObserveContainerGroupResult> {
      const group = await aci.get(input.groupName);
      if (!group) {
        context.warn(`${label(input)} container group ${input.groupName} no longer exists: deleted outside aci-jobs`);
        return { kind: "gone" };
      }
      const observation = observeContainerGroup(group, containerNameFor(input.groupName));
      if (observation.state.phase !== input.previousPhase) {
        context.log(`${label(input)} container group ${input.groupName}: ${describePhase(observation.state)}`);
      }
      // Stream while running; the final read after the container stops belongs to collectContainerLogs.
      let cursor = input.cursor;
      if (observation.state.phase === "running") {
        cursor = (await streamNewLines(aci, input, input.cursor, false, context)).cursor;
      }
      return { kind: "observed", ...observation, cursor };
    },

    async [Activities.collectContainerLogs](
      input: CollectContainerLogsInput,
      context: InvocationContext,
    ): Promise<CollectContainerLogsResult> {
      const streamed = await streamNewLines(aci, input, input.cursor, input.stopped, context);
      if (streamed.linesMissed) {
        context.warn(`${label(input)} some log lines were lost: ACI keeps only the last 1,000 lines / 16 KB of a stopped container`);
      }
      return {
        cursor: streamed.cursor,
        tail: boundedTail(streamed.snapshot),
        linesMissed: streamed.linesMissed,
        available: streamed.available,
      };
    },

    async [Activities.deleteContainerGroup](
      input: DeleteContainerGroupInput,
      context: InvocationContext,
    ): Promise<DeleteContainerGroupResult> {
      const outcome = await aci.delete(input.groupName);
      context.log(
        outcome === "deleted"
          ? `${label(input)} container group ${input.groupName} deleted`
          : `${label(input)} container group ${input.groupName} was already gone`,
      );
      return outcome === "deleted" ? { kind: "deleted" } : { kind: "alreadyGone" };
    },
  };
}

async function createGroup(
  aci: ContainerGroupApi,
  input: CreateContainerGroupInput,
  context: InvocationContext,
): Promise<CreateContainerGroupResult> {
  const owner = { jobId: input.jobId, runId: input.runId, attempt: input.attempt };
  const existing = await aci.get(input.groupName);
  let replaced: string | undefined;
  if (existing) {
    if (isOwnedBy(existing, owner)) {
      // This activity ran before and its response was lost; the group is already ours.
      return { kind: "created", alreadyOurs: true, operationStatus: existing.provisioningState ?? "Unknown" };
    }
    replaced = ownerOf(existing);
    if (input.container.failIfExists) {
      context.warn(`${label(input)} container group ${input.groupName} already exists (${replaced}); fail_if_exists is set, so it is left alone`);
      return { kind: "exists", owner: replaced };
    }
    // fail_if_exists=false: Airflow PUTs over the old group. A PUT that changes only tags would not restart
    // a finished container, and the run would read the old group's exit code; so replace it instead.
    context.log(`${label(input)} replacing container group ${input.groupName} left by ${replaced}`);
    await aci.delete(input.groupName);
  }
  const group = toContainerGroup({ groupName: input.groupName, region: input.region, container: input.container, owner });
  const result = await aci.create(input.groupName, group);
  context.log(
    `${label(input)} container group ${input.groupName} accepted in ${input.region} (image ${input.container.image}, ` +
      `${input.container.cpu} CPU, ${input.container.memoryInGB} GB); ${describeOperation(result)}`,
  );
  return { kind: "created", alreadyOurs: false, operationStatus: result.operationStatus, ...(replaced ? { replaced } : {}) };
}

interface StreamResult {
  readonly cursor: LogCursor;
  readonly snapshot: readonly string[];
  readonly linesMissed: boolean;
  readonly available: boolean;
}

/** Reads the log snapshot, writes the lines not yet written to the function log, and advances the cursor. */
async function streamNewLines(
  aci: ContainerGroupApi,
  ref: AttemptRef,
  cursor: LogCursor,
  stopped: boolean,
  context: InvocationContext,
): Promise<StreamResult> {
  const content = await aci.logs(ref.groupName, containerNameFor(ref.groupName));
  if (content === undefined) return { cursor, snapshot: [], linesMissed: false, available: false };
  const snapshot = parseTimestampedLog(content);
  const atCap = stopped && (snapshot.length >= STOPPED_LOG_LINES || Buffer.byteLength(content) >= STOPPED_LOG_BYTES);
  const fresh = takeNewLines(snapshot, cursor, atCap);
  for (const line of fresh.lines) context.log(`${label(ref)} | ${line.text}`);
  return { cursor: fresh.cursor, snapshot: snapshot.map((line) => line.text), linesMissed: fresh.gap, available: true };
}

/** The create operation's status after the SDK's first poll, in words. */
function describeOperation(result: { operationStatus: string; operationError?: string }): string {
  switch (result.operationStatus.toLowerCase()) {
    case "succeeded":
      return "provisioned";
    case "failed":
      return `provisioning failed${result.operationError ? `: ${result.operationError}` : ""}`;
    default:
      return "provisioning underway";
  }
}

function label(ref: AttemptRef): string {
  return `[${ref.jobId} run ${ref.runId} attempt ${ref.attempt}]`;
}

function describePhase(state: ReturnType<typeof observeContainerGroup>["state"]): string {
  switch (state.phase) {
    case "provisioning":
      return `provisioning (${state.detail})`;
    case "running":
      return "running";
    case "exited":
      return `container exited with code ${state.exitCode}${state.detailStatus ? ` (${state.detailStatus})` : ""}`;
    case "provisioningFailed":
      return `provisioning failed: ${state.detail}`;
    case "unhealthy":
      return `unhealthy: ${state.detail}`;
  }
}
