/**
 * @module
 * What aci-jobs keeps about a job between runs, in the host storage account (`aci-jobs-runs/jobs/<job>.json`):
 * whether its schedule is paused (since, by whom, why), its consecutive failed scheduled runs (for
 * `pauseAfterFailures`), and its schedule record, the last {@link MAX_SCHEDULE_ACTIONS} things its timer
 * did. Kept in storage, not in settings, so a pause survives restarts and holds on every instance.
 * Each change is a read and a conditional write (If-Match on the ETag, If-None-Match for the first),
 * repeated when another writer came first, so a pause and a timer firing never lose each other's change.
 */
import type { ContainerClient } from "@azure/storage-blob";
import type { TokenCredential } from "@azure/identity";
import type { RunStateStorage } from "../config";
import { readJsonBlob, runStateContainer, storageStatusOf } from "./runStateContainer";

/** The newest actions kept per job (the API shows the newest 10). */
export const MAX_SCHEDULE_ACTIONS = 100;

export interface PauseRecord {
  readonly since: string;
  readonly note?: string;
  /** Who paused it (App Service Authentication's user), or `pauseAfterFailures`; absent when unknown. */
  readonly by?: string;
}

/** What the job's timer did with one slot. */
export type ScheduleAction =
  | { readonly slot: string; readonly at: string; readonly action: "started"; readonly runId: string }
  /** Its run waits in line for a slot (overlap bufferOne, bufferAll, cancelOther). */
  | { readonly slot: string; readonly at: string; readonly action: "queued"; readonly runId: string }
  /** The job's overlap policy (today: its active-run limit) let no run start. */
  | { readonly slot: string; readonly at: string; readonly action: "skippedOverlap"; readonly activeRunIds: readonly string[] }
  | { readonly slot: string; readonly at: string; readonly action: "skippedPaused"; readonly note?: string }
  /** Slots from `slot` to `until` (`count` of them) the timer never fired for and that were outside the catch-up window. */
  | { readonly slot: string; readonly at: string; readonly action: "missed"; readonly until: string; readonly count: number };

export interface JobState {
  readonly paused: PauseRecord | null;
  /** Scheduled runs that failed or timed out in a row since the last one that succeeded. */
  readonly consecutiveScheduledFailures: number;
  /** The last scheduled run counted, so a count delivered twice (activities are at least once) counts once. */
  readonly lastCountedRunId?: string;
  /** Newest first. */
  readonly actions: readonly ScheduleAction[];
}

export const EMPTY_JOB_STATE: JobState = { paused: null, consecutiveScheduledFailures: 0, actions: [] };

export interface JobStateStore {
  read(jobId: string): Promise<JobState>;
  /**
   * Applies `change` to the current state and stores the result, again on the state another writer
   * stored first. `change` returns undefined to leave the state as it is (nothing is written).
   */
  update(jobId: string, change: (state: JobState) => JobState | undefined): Promise<JobState>;
}

/** Rounds of read and conditional write before giving up (each lost round means another writer won one). */
const MAX_ROUNDS = 20;

export function createBlobJobStateStore(storage: RunStateStorage, credential: TokenCredential, containerName?: string): JobStateStore {
  const { container, ensure } = runStateContainer(storage, credential, containerName);
  return new BlobJobStateStore(container, ensure);
}

class BlobJobStateStore implements JobStateStore {
  constructor(
    private readonly container: ContainerClient,
    private readonly ensureContainer: () => Promise<unknown>,
  ) {}

  async read(jobId: string): Promise<JobState> {
    await this.ensureContainer();
    return (await this.#load(jobId))?.state ?? EMPTY_JOB_STATE;
  }

  async update(jobId: string, change: (state: JobState) => JobState | undefined): Promise<JobState> {
    await this.ensureContainer();
    const blob = this.container.getBlockBlobClient(statePath(jobId));
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const current = await this.#load(jobId);
      const next = change(current?.state ?? EMPTY_JOB_STATE);
      if (next === undefined) return current?.state ?? EMPTY_JOB_STATE;
      const bounded: JobState = { ...next, actions: next.actions.slice(0, MAX_SCHEDULE_ACTIONS) };
      const body = JSON.stringify(bounded);
      try {
        await blob.upload(body, Buffer.byteLength(body), {
          conditions: current ? { ifMatch: current.etag } : { ifNoneMatch: "*" },
          blobHTTPHeaders: { blobContentType: "application/json" },
        });
        return bounded;
      } catch (error) {
        // 412 (changed since read) or 409 (created since read): another writer came first; read again.
        if (storageStatusOf(error) === 412 || storageStatusOf(error) === 409) continue;
        throw error;
      }
    }
    throw new Error(`The state of job ${jobId} kept changing under ${MAX_ROUNDS} attempts to update it.`);
  }

  async #load(jobId: string): Promise<{ state: JobState; etag: string } | undefined> {
    const read = await readJsonBlob<Partial<JobState>>(this.container.getBlockBlobClient(statePath(jobId)));
    return read && { state: { ...EMPTY_JOB_STATE, ...read.value }, etag: read.etag };
  }
}

const statePath = (jobId: string) => `jobs/${jobId.toLowerCase()}.json`;

/** The state with `action` recorded as the newest. */
export function withAction(state: JobState, action: ScheduleAction): JobState {
  return { ...state, actions: [action, ...state.actions].slice(0, MAX_SCHEDULE_ACTIONS) };
}
