/**
 * @module
 * At most N active runs per job, across triggers and instances. Durable's own check-then-start is racy
 * (durable-functions.md §10), so each job has N slot blobs in the host's storage account, claimed with
 * a conditional write: `If-None-Match: *` takes a free slot, `If-Match: <etag>` reclaims one whose run
 * has ended. Exactly one of two simultaneous claims can win a slot. The run releases its slot when it
 * ends; if it never does (terminated, crashed), the next claim sees the run is over and takes it over.
 */
import type { ContainerClient } from "@azure/storage-blob";
import type { TokenCredential } from "@azure/identity";
import type { RunStateStorage } from "../config";
import { readJsonBlob, runStateContainer, storageStatusOf } from "./runStateContainer";

export type SlotClaim =
  | { readonly acquired: true; readonly slot: number }
  | { readonly acquired: false; readonly activeRunIds: readonly string[] };

/** A slot holder's run: still going, over, or without an instance (not started yet, or purged). */
export type RunState = "active" | "ended" | "notFound";

export interface RunSlots {
  /** Claims a free slot for `runId`; `stateOf` tells whether a slot holder's run is still going. */
  claim(jobId: string, runId: string, limit: number, stateOf: (runId: string) => Promise<RunState>): Promise<SlotClaim>;
  /**
   * Frees the slot `runId` holds, or hands it straight to `next` (the first run waiting in line); false
   * when it holds none (already released or taken over).
   */
  release(jobId: string, runId: string, next?: string): Promise<boolean>;
  /** Whether `runId` holds a slot (a waiting run that was handed one). */
  holds(jobId: string, runId: string): Promise<boolean>;
  /** Who holds the job's slots, and since when. */
  holders(jobId: string): Promise<Array<{ readonly runId: string; readonly claimedAt: string }>>;
  /** Takes a free slot for `runId`, without taking over anyone's: for a waiting run, which cannot ask whether a holder's run has ended. */
  claimFree(jobId: string, runId: string, limit: number): Promise<boolean>;
}

interface SlotRecord {
  readonly runId: string;
  readonly claimedAt: string;
}

/**
 * A run is started right after its slot is claimed, so for a moment its instance does not exist yet.
 * A holder younger than this whose instance is not found counts as active; one whose run has ended does
 * not, so a run that could not release its slot blocks nobody.
 */
const CLAIM_GRACE_MS = 5 * 60_000;

export function createBlobRunSlots(storage: RunStateStorage, credential: TokenCredential, containerName?: string, clock: () => number = Date.now): RunSlots {
  const { container, ensure } = runStateContainer(storage, credential, containerName);
  return new BlobRunSlots(container, ensure, clock);
}

class BlobRunSlots implements RunSlots {
  constructor(
    private readonly container: ContainerClient,
    private readonly ensureContainer: () => Promise<unknown>,
    private readonly clock: () => number,
  ) {}

  async claim(jobId: string, runId: string, limit: number, stateOf: (runId: string) => Promise<RunState>): Promise<SlotClaim> {
    await this.ensureContainer();
    const record = JSON.stringify({ runId, claimedAt: new Date(this.clock()).toISOString() } satisfies SlotRecord);
    const holders: string[] = [];
    for (let slot = 0; slot < limit; slot++) {
      const blob = this.container.getBlockBlobClient(slotPath(jobId, slot));
      if (await tryWrite(() => blob.upload(record, record.length, { conditions: { ifNoneMatch: "*" }, ...JSON_BLOB }))) {
        return { acquired: true, slot };
      }
      const current = await readRecord(blob);
      if (!current) {
        // Released between our write and our read: the slot is free again, try it once more.
        if (await tryWrite(() => blob.upload(record, record.length, { conditions: { ifNoneMatch: "*" }, ...JSON_BLOB }))) {
          return { acquired: true, slot };
        }
        holders.push("(another run claiming this slot)");
        continue;
      }
      if (current.record.runId === runId) return { acquired: true, slot };
      const young = this.clock() - Date.parse(current.record.claimedAt) < CLAIM_GRACE_MS;
      const holder = await stateOf(current.record.runId);
      if (holder === "active" || (holder === "notFound" && young)) {
        holders.push(current.record.runId);
        continue;
      }
      // The holder's run is over but never released the slot: take it over, unless someone else just did.
      if (await tryWrite(() => blob.upload(record, record.length, { conditions: { ifMatch: current.etag }, ...JSON_BLOB }))) {
        return { acquired: true, slot };
      }
      holders.push("(another run claiming this slot)");
    }
    return { acquired: false, activeRunIds: holders };
  }

  async holders(jobId: string): Promise<Array<{ runId: string; claimedAt: string }>> {
    await this.ensureContainer();
    const found: Array<{ runId: string; claimedAt: string }> = [];
    for await (const item of this.container.listBlobsFlat({ prefix: slotPrefix(jobId) })) {
      const current = await readRecord(this.container.getBlockBlobClient(item.name));
      if (current) found.push({ runId: current.record.runId, claimedAt: current.record.claimedAt });
    }
    return found;
  }

  async holds(jobId: string, runId: string): Promise<boolean> {
    await this.ensureContainer();
    for await (const item of this.container.listBlobsFlat({ prefix: slotPrefix(jobId) })) {
      if ((await readRecord(this.container.getBlockBlobClient(item.name)))?.record.runId === runId) return true;
    }
    return false;
  }

  async claimFree(jobId: string, runId: string, limit: number): Promise<boolean> {
    await this.ensureContainer();
    const record = JSON.stringify({ runId, claimedAt: new Date(this.clock()).toISOString() } satisfies SlotRecord);
    for (let slot = 0; slot < limit; slot++) {
      const blob = this.container.getBlockBlobClient(slotPath(jobId, slot));
      if (await tryWrite(() => blob.upload(record, record.length, { conditions: { ifNoneMatch: "*" }, ...JSON_BLOB }))) return true;
    }
    return false;
  }

  async release(jobId: string, runId: string, next?: string): Promise<boolean> {
    await this.ensureContainer();
    for await (const item of this.container.listBlobsFlat({ prefix: `${slotPrefix(jobId)}` })) {
      const blob = this.container.getBlockBlobClient(item.name);
      const current = await readRecord(blob);
      if (current?.record.runId !== runId) continue;
      try {
        if (next) {
          // The slot goes to the first run in line, not back to whoever asks first.
          const record = JSON.stringify({ runId: next, claimedAt: new Date(this.clock()).toISOString() } satisfies SlotRecord);
          await blob.upload(record, record.length, { conditions: { ifMatch: current.etag }, ...JSON_BLOB });
        } else {
          await blob.delete({ conditions: { ifMatch: current.etag } });
        }
        return true;
      } catch (error) {
        if (storageStatusOf(error) === 404 || storageStatusOf(error) === 412) return false;
        throw error;
      }
    }
    return false;
  }
}

const JSON_BLOB = { blobHTTPHeaders: { blobContentType: "application/json" } } as const;

const slotPrefix = (jobId: string) => `slots/${jobId.toLowerCase()}/`;
const slotPath = (jobId: string, slot: number) => `${slotPrefix(jobId)}${slot}`;

/** True when the conditional write went through, false when its condition failed. */
async function tryWrite(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    // 409 BlobAlreadyExists for If-None-Match: *, 412 ConditionNotMet for a stale If-Match.
    if (storageStatusOf(error) === 409 || storageStatusOf(error) === 412) return false;
    throw error;
  }
}

async function readRecord(blob: ReturnType<ContainerClient["getBlockBlobClient"]>): Promise<{ record: SlotRecord; etag: string } | undefined> {
  const read = await readJsonBlob<SlotRecord>(blob);
  return read && { record: read.value, etag: read.etag };
}

