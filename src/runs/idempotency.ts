/**
 * @module
 * Idempotency keys for POST /api/jobs/{job}/runs (the `Idempotency-Key` header of the IETF httpapi draft,
 * Prefect's `idempotency_key`): a key names one run of one job for 24 hours. Keys are stored in the host
 * storage account (`aci-jobs-runs/idempotency/<job>/<sha256 of the key>.json`), created with
 * `If-None-Match: *`, so of two simultaneous requests with one key exactly one starts a run; a key is
 * never trusted from one instance's memory.
 */
import { createHash } from "node:crypto";
import type { ContainerClient } from "@azure/storage-blob";
import type { TokenCredential } from "@azure/identity";
import type { RunStateStorage } from "../config";
import { readJsonBlob, runStateContainer, storageStatusOf } from "./runStateContainer";

/** How long a key names its run. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

interface KeyRecord {
  /** The request the key was first used with (a hash of its canonical JSON). */
  readonly requestHash: string;
  readonly runId: string;
  readonly createdAt: string;
}

export type KeyClaim =
  /** The key is this request's: start `runId`, or give the key back with `release` if no run started. */
  | { readonly kind: "new"; release(): Promise<void> }
  /** The key was used with the same request within the window: its run is `runId`. */
  | { readonly kind: "replay"; readonly runId: string }
  /** The key was used with another request within the window. */
  | { readonly kind: "mismatch" };

export interface IdempotencyKeys {
  claim(jobId: string, key: string, requestHash: string, runId: string, now: Date): Promise<KeyClaim>;
  /**
   * Deletes keys last written before `cutoff`, looking at no more than `limit` keys; the next call goes on
   * where this one stopped (the listing position is kept in storage). Returns how many were deleted.
   */
  deleteOlderThan(cutoff: Date, limit: number): Promise<number>;
}

/** Where {@link IdempotencyKeys.deleteOlderThan} keeps its listing position between passes. */
const CURSOR_BLOB = "retention/idempotency-cursor";

const MAX_ROUNDS = 10;

export function createBlobIdempotencyKeys(storage: RunStateStorage, credential: TokenCredential, containerName?: string): IdempotencyKeys {
  const { container, ensure } = runStateContainer(storage, credential, containerName);
  return new BlobIdempotencyKeys(container, ensure);
}

class BlobIdempotencyKeys implements IdempotencyKeys {
  constructor(
    private readonly container: ContainerClient,
    private readonly ensureContainer: () => Promise<unknown>,
  ) {}

  async deleteOlderThan(cutoff: Date, limit: number): Promise<number> {
    const cursorBlob = this.container.getBlockBlobClient(CURSOR_BLOB);
    const cursor = await cursorBlob
      .downloadToBuffer()
      .then((buffer) => buffer.toString("utf8") || undefined)
      .catch((error: unknown) => {
        if (storageStatusOf(error) === 404) return undefined;
        throw error;
      });
    let deleted = 0;
    let looked = 0;
    let next: string | undefined = cursor;
    try {
      const pages = this.container.listBlobsFlat({ prefix: "idempotency/" }).byPage({ maxPageSize: Math.min(limit, 1_000), ...(cursor ? { continuationToken: cursor } : {}) });
      while (looked < limit) {
        const page = await pages.next();
        if (page.done) break;
        for (const item of page.value.segment.blobItems) {
          looked++;
          if ((item.properties.lastModified?.getTime() ?? Number.POSITIVE_INFINITY) >= cutoff.getTime()) continue;
          // Only if unchanged since listed: a key claimed again meanwhile is in use.
          const etag = item.properties.etag;
          const gone = await this.container
            .getBlockBlobClient(item.name)
            .delete({ conditions: etag ? { ifMatch: etag } : {} })
            .then(() => true)
            .catch((error: unknown) => {
              if (storageStatusOf(error) === 404 || storageStatusOf(error) === 412) return false;
              throw error;
            });
          if (gone) deleted++;
        }
        next = page.value.continuationToken || undefined;
        if (!next) break;
      }
    } catch (error) {
      // No container yet: nothing to delete.
      if (storageStatusOf(error) !== 404) throw error;
      next = undefined;
    }
    if (next) await cursorBlob.upload(next, Buffer.byteLength(next));
    else
      await cursorBlob.deleteIfExists().catch((error: unknown) => {
        // No container yet (no run has started): there is no cursor to clear.
        if (storageStatusOf(error) !== 404) throw error;
      });
    return deleted;
  }

  async claim(jobId: string, key: string, requestHash: string, runId: string, now: Date): Promise<KeyClaim> {
    await this.ensureContainer();
    const blob = this.container.getBlockBlobClient(`idempotency/${jobId.toLowerCase()}/${sha256(key)}.json`);
    const body = JSON.stringify({ requestHash, runId, createdAt: now.toISOString() } satisfies KeyRecord);
    const write = async (conditions: { ifNoneMatch: string } | { ifMatch: string }): Promise<KeyClaim | undefined> => {
      try {
        const written = await blob.upload(body, Buffer.byteLength(body), { conditions, blobHTTPHeaders: { blobContentType: "application/json" } });
        const etag = written.etag;
        return {
          kind: "new",
          release: async () => {
            await blob.delete({ conditions: etag ? { ifMatch: etag } : {} }).catch((error: unknown) => {
              if (storageStatusOf(error) !== 404 && storageStatusOf(error) !== 412) throw error;
            });
          },
        };
      } catch (error) {
        if (storageStatusOf(error) === 409 || storageStatusOf(error) === 412) return undefined;
        throw error;
      }
    };
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const created = await write({ ifNoneMatch: "*" });
      if (created) return created;
      const existing = await readJsonBlob<KeyRecord>(blob);
      if (!existing) continue; // released in between: try again
      if (now.getTime() - Date.parse(existing.value.createdAt) >= IDEMPOTENCY_WINDOW_MS) {
        // Expired: the key is free again, unless another request renews it first.
        const renewed = await write({ ifMatch: existing.etag });
        if (renewed) return renewed;
        continue;
      }
      return existing.value.requestHash === requestHash ? { kind: "replay", runId: existing.value.runId } : { kind: "mismatch" };
    }
    throw new Error(`Idempotency key of job ${jobId} kept changing under ${MAX_ROUNDS} attempts to claim it.`);
  }
}

/** A request's hash for comparing requests with one key: its JSON with keys sorted, so spacing and order do not count. */
export function requestHashOf(body: unknown): string {
  return sha256(body === undefined ? "" : canonicalJson(body));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
