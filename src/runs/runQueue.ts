/**
 * @module
 * Runs waiting for a run slot (overlap bufferOne, bufferAll, cancelOther, and every backfill), in the host
 * storage account: one blob per waiting run, `aci-jobs-runs/queue/<job>/<time>-<sequence>-<run id>`, so
 * the names sort in arrival order and the first is the head. bufferOne's "at most one waits" is a blob of
 * its own (`queue/<job>.one`), created with If-None-Match, so two simultaneous starts cannot both wait.
 * A run ending hands its slot to the head (runSlots.ts); a waiting run also takes a free slot itself
 * when it is the head, so a queued run starts even if the app was idle when the slot came free.
 */
import type { ContainerClient } from "@azure/storage-blob";
import type { TokenCredential } from "@azure/identity";
import type { RunStateStorage } from "../config";
import type { RunSlots, RunState } from "./runSlots";
import { readJsonBlob, runStateContainer, storageStatusOf } from "./runStateContainer";

export type QueueMode = "one" | "all";

export interface RunQueue {
  /** Puts `runId` in line; with "one" only when no run waits yet, else says which one does. */
  enqueue(jobId: string, runId: string, mode: QueueMode, at: Date): Promise<{ readonly queued: true } | { readonly queued: false; readonly waiting: string }>;
  /** The waiting runs, first in line first. */
  waiting(jobId: string): Promise<string[]>;
  /** Takes `runId` out of line (it got a slot, was canceled, or never started); harmless when it is not in it. */
  remove(jobId: string, runId: string): Promise<void>;
}

interface OneRecord {
  readonly runId: string;
  readonly at: string;
}

export function createBlobRunQueue(storage: RunStateStorage, credential: TokenCredential, containerName?: string): RunQueue {
  const { container, ensure } = runStateContainer(storage, credential, containerName);
  return new BlobRunQueue(container, ensure);
}

/** Orders entries made in the same millisecond by this process. */
let sequence = 0;

class BlobRunQueue implements RunQueue {
  constructor(
    private readonly container: ContainerClient,
    private readonly ensureContainer: () => Promise<unknown>,
  ) {}

  async enqueue(jobId: string, runId: string, mode: QueueMode, at: Date): Promise<{ readonly queued: true } | { readonly queued: false; readonly waiting: string }> {
    await this.ensureContainer();
    if (mode === "one") {
      const blob = this.container.getBlockBlobClient(onePath(jobId));
      const body = JSON.stringify({ runId, at: at.toISOString() } satisfies OneRecord);
      try {
        await blob.upload(body, Buffer.byteLength(body), { conditions: { ifNoneMatch: "*" }, blobHTTPHeaders: { blobContentType: "application/json" } });
        return { queued: true } as const;
      } catch (error) {
        if (storageStatusOf(error) !== 409) throw error;
        const existing = await readJsonBlob<OneRecord>(blob);
        // Taken out of line since our write: try once more.
        if (!existing) return this.enqueue(jobId, runId, mode, at);
        return { queued: false, waiting: existing.value.runId } as const;
      }
    }
    sequence = (sequence + 1) % 1_000_000;
    const name = `${queuePrefix(jobId)}${String(at.getTime()).padStart(15, "0")}-${String(sequence).padStart(6, "0")}-${runId}`;
    await this.container.getBlockBlobClient(name).upload("", 0);
    return { queued: true } as const;
  }

  async waiting(jobId: string): Promise<string[]> {
    await this.ensureContainer();
    const entries: { at: string; runId: string }[] = [];
    for await (const item of this.container.listBlobsFlat({ prefix: queuePrefix(jobId) })) {
      const match = /^(\d{15})-\d{6}-(.+)$/u.exec(item.name.slice(queuePrefix(jobId).length));
      if (match) entries.push({ at: new Date(Number(match[1])).toISOString(), runId: match[2]! });
    }
    const one = await readJsonBlob<OneRecord>(this.container.getBlockBlobClient(onePath(jobId)));
    if (one) entries.push(one.value);
    return entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)).map((entry) => entry.runId);
  }

  async remove(jobId: string, runId: string): Promise<void> {
    await this.ensureContainer();
    for await (const item of this.container.listBlobsFlat({ prefix: queuePrefix(jobId) })) {
      if (item.name.endsWith(`-${runId}`)) await deleteIfThere(this.container, item.name);
    }
    const blob = this.container.getBlockBlobClient(onePath(jobId));
    const one = await readJsonBlob<OneRecord>(blob);
    if (one?.value.runId === runId) await blob.delete({ conditions: { ifMatch: one.etag } }).catch(ignoreGone);
  }
}

async function deleteIfThere(container: ContainerClient, name: string): Promise<void> {
  await container.getBlockBlobClient(name).delete().catch(ignoreGone);
}

function ignoreGone(error: unknown): void {
  if (storageStatusOf(error) !== 404 && storageStatusOf(error) !== 412) throw error;
}

const queuePrefix = (jobId: string) => `queue/${jobId.toLowerCase()}/`;
const onePath = (jobId: string) => `queue/${jobId.toLowerCase()}.one`;

/**
 * What only code with the Durable client can see, done for the lines the orphan sweep passes by: runs
 * in line whose orchestration has ended (terminated while waiting) leave it, and a slot held by a run
 * that has ended without giving it back (terminated) goes to the first in line. Without this a line
 * behind such a slot would wait until the next start looked. Returns what it did, a line each.
 */
export async function unblockLines(deps: {
  readonly jobIds: readonly string[];
  readonly slots: Pick<RunSlots, "holders" | "release">;
  readonly queue: RunQueue;
  readonly stateOf: (runId: string) => Promise<RunState>;
  readonly now: () => number;
}): Promise<string[]> {
  const done: string[] = [];
  for (const jobId of deps.jobIds) {
    let waiting = await deps.queue.waiting(jobId);
    if (waiting.length === 0) continue;
    for (const runId of waiting) {
      if ((await deps.stateOf(runId)) !== "ended") continue;
      await deps.queue.remove(jobId, runId);
      done.push(`${runId} of ${jobId} left the line: its run has ended`);
    }
    waiting = await deps.queue.waiting(jobId);
    for (const holder of await deps.slots.holders(jobId)) {
      const state = await deps.stateOf(holder.runId);
      // A holder without an instance may be a run just being started; after the claim's grace it is gone.
      const stale = state === "ended" || (state === "notFound" && deps.now() - Date.parse(holder.claimedAt) > STALE_HOLDER_MS);
      if (!stale) continue;
      const next = waiting.shift();
      if (!(await deps.slots.release(jobId, holder.runId, next))) continue;
      if (next) await deps.queue.remove(jobId, next);
      done.push(`the slot ${holder.runId} of ${jobId} never gave back went to ${next ?? "nobody (no run waits)"}`);
    }
  }
  return done;
}

/** As the slot claim's grace for a holder whose instance is not there yet (runSlots.ts). */
const STALE_HOLDER_MS = 5 * 60_000;
