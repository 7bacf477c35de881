/**
 * @module
 * The run index: a summary of every run, listed newest first per job and across jobs, by state, in pages,
 * at a cost that does not grow with the number of runs ever made. Durable's own instance query cannot
 * do that: durable-functions 3.x `getStatusBy` has no instance-id prefix, no order and no page size, and
 * follows every continuation token to the end (DurableClient.getStatusInternal), so listing the newest
 * 50 of a job reads the whole task hub.
 *
 * The index is blobs in the `aci-jobs-runs` container, whose names sort the way the list is read, each
 * carrying the run's summary in its metadata, so one List Blobs request (a prefix, `include=metadata`,
 * `maxresults`) returns a whole page of summaries:
 *
 *   index/<scope>/<view>/<inverted creation time>-<run id>     scope: `job-<job id>` or `all`
 *                                                              view: `all`, `active`, or a final state
 *   index/finished/<finish time>-<run id>                      oldest first, for retention
 *
 * A start writes the `all` and `active` entries of its job and of `all`; the run's end (an activity)
 * rewrites `all` with the outcome, adds its final state's view and the retention entry, and removes the
 * `active` ones. Blobs rather than a table: the app already keeps its run state in that container with
 * the same client and roles, and a prefix listing gives the same one-request page a table query would.
 */
import type { ContainerClient } from "@azure/storage-blob";
import type { TokenCredential } from "@azure/identity";
import type { RunStateStorage } from "../config";
import { runStateContainer, storageStatusOf } from "./runStateContainer";
import { FINAL_STATES, summaryDetail, type FinalState, type RunSummary } from "./runSummary";

/** Which runs a list shows. `active`: queued, running or canceling. */
export interface RunListQuery {
  /** Undefined: every job. */
  readonly job?: string;
  readonly state?: FinalState | "active";
  /** Only runs created at or after this time. */
  readonly since?: Date;
  readonly limit: number;
  /** From a previous page of the same query. */
  readonly continuationToken?: string;
}

export interface RunListPage {
  readonly runs: readonly RunSummary[];
  readonly continuationToken?: string;
}

/** A finished run old enough to be purged, oldest first. */
export interface FinishedEntry {
  readonly summary: RunSummary;
  readonly finishedAt: Date;
}

export class InvalidContinuationToken extends Error {}

export interface RunIndex {
  /** Lists `summary` as active. Written again (harmlessly) when a start is retried. */
  recordStarted(summary: RunSummary): Promise<void>;
  /** Records the run's outcome; idempotent, so a re-delivered activity changes nothing. */
  recordFinished(summary: RunSummary): Promise<void>;
  /** One page of the query, newest first. Throws {@link InvalidContinuationToken} for a token of another query. */
  list(query: RunListQuery): Promise<RunListPage>;
  /** Finished runs that finished before `before`, oldest first, at most `limit`. */
  finishedBefore(before: Date, limit: number): Promise<FinishedEntry[]>;
  /** Removes every entry of the run (after its history and logs are purged). */
  remove(summary: RunSummary): Promise<void>;
  /** Where a scan of the active entries stopped, kept between retention passes (undefined: from the start). */
  readonly activeScanCursor: { get(): Promise<string | undefined>; set(token: string | undefined): Promise<void> };
}

export function createBlobRunIndex(storage: RunStateStorage, credential: TokenCredential, containerName?: string): RunIndex {
  const { container, ensure } = runStateContainer(storage, credential, containerName);
  return new BlobRunIndex(container, ensure);
}

/** Page size of a List Blobs request when reading entries that are filtered after (retention). */
const SCAN_PAGE = 1_000;
/** Larger than any Date.now() until the year 2286, so inverted times keep 13 digits. */
const INVERT_FROM = 9_999_999_999_999;
const ACTIVE_CURSOR = "retention/active-cursor";

export class BlobRunIndex implements RunIndex {
  constructor(
    private readonly container: ContainerClient,
    private readonly ensureContainer: () => Promise<unknown>,
  ) {}

  async recordStarted(summary: RunSummary): Promise<void> {
    await this.ensureContainer();
    // Only where nothing is yet: a run that ended before its start was listed (a slow write) has its
    // outcome there, which a start entry must not replace, nor bring back its active entries.
    const created = await Promise.all(scopesOf(summary).map((scope) => this.put(entryName(scope, "all", summary), summary, { ifNoneMatch: "*" })));
    if (created.every(Boolean)) await Promise.all(scopesOf(summary).map((scope) => this.put(entryName(scope, "active", summary), summary)));
  }

  async recordFinished(summary: RunSummary): Promise<void> {
    await this.ensureContainer();
    const scopes = scopesOf(summary);
    await Promise.all([
      ...scopes.flatMap((scope) => [this.put(entryName(scope, "all", summary), summary), this.put(entryName(scope, summary.state, summary), summary)]),
      this.put(finishedName(summary), summary),
    ]);
    // Only once the outcome is written: a failure above leaves the run listed as active, never lost.
    await Promise.all(scopes.map((scope) => this.deleteIfExists(entryName(scope, "active", summary))));
  }

  async list(query: RunListQuery): Promise<RunListPage> {
    const prefix = `index/${query.job === undefined ? "all" : `job-${query.job}`}/${query.state ?? "all"}/`;
    const marker = query.continuationToken === undefined ? undefined : readToken(query.continuationToken, fingerprint(query));
    const pages = this.container.listBlobsFlat({ prefix, includeMetadata: true }).byPage({ maxPageSize: query.limit, ...(marker ? { continuationToken: marker } : {}) });
    let page;
    try {
      page = await missingContainerAsEmpty(pages.next());
    } catch (error) {
      // Storage refuses a marker it did not make (a token edited by hand, whose query part was kept).
      if (marker && storageStatusOf(error) === 400) throw new InvalidContinuationToken("is not a token this API gave out");
      throw error;
    }
    if (page === undefined || page.done) return { runs: [] };
    const runs: RunSummary[] = [];
    for (const item of page.value.segment.blobItems) {
      const summary = summaryOf(item.metadata);
      if (!summary) continue;
      // Newest first: the first run older than `since` ends the list.
      if (query.since && Date.parse(summary.createdAt) < query.since.getTime()) return { runs };
      runs.push(summary);
    }
    const next = page.value.continuationToken;
    return next ? { runs, continuationToken: writeToken(next, fingerprint(query)) } : { runs };
  }

  async finishedBefore(before: Date, limit: number): Promise<FinishedEntry[]> {
    const found: FinishedEntry[] = [];
    const pages = this.container.listBlobsFlat({ prefix: "index/finished/", includeMetadata: true }).byPage({ maxPageSize: Math.min(limit, SCAN_PAGE) });
    for (;;) {
      const page = await missingContainerAsEmpty(pages.next());
      if (page === undefined || page.done) return found;
      for (const item of page.value.segment.blobItems) {
        const summary = summaryOf(item.metadata);
        const finishedAt = Date.parse(item.name.slice("index/finished/".length, "index/finished/".length + 24));
        if (Number.isNaN(finishedAt) || finishedAt >= before.getTime()) return found;
        if (summary) found.push({ summary, finishedAt: new Date(finishedAt) });
        else await this.deleteIfExists(item.name); // unreadable: nothing could ever purge it otherwise
        if (found.length >= limit) return found;
      }
      if (!page.value.continuationToken) return found;
    }
  }

  async remove(summary: RunSummary): Promise<void> {
    const views = ["all", "active", ...FINAL_STATES];
    await Promise.all(scopesOf(summary).flatMap((scope) => views.map((view) => this.deleteIfExists(entryName(scope, view, summary)))));
    // Last: while it exists, the next purge finds the run again and finishes the job.
    await this.deleteIfExists(finishedName(summary));
  }

  readonly activeScanCursor = {
    get: async (): Promise<string | undefined> => {
      try {
        return (await this.container.getBlockBlobClient(ACTIVE_CURSOR).downloadToBuffer()).toString("utf8") || undefined;
      } catch (error) {
        if (storageStatusOf(error) === 404) return undefined;
        throw error;
      }
    },
    set: async (token: string | undefined): Promise<void> => {
      const blob = this.container.getBlockBlobClient(ACTIVE_CURSOR);
      if (token) await blob.upload(token, Buffer.byteLength(token));
      else await this.deleteIfExists(ACTIVE_CURSOR);
    },
  };

  /** Writes an entry; with `ifNoneMatch: "*"`, only a new one (false when one was there). */
  private async put(name: string, summary: RunSummary, conditions?: { ifNoneMatch: string }): Promise<boolean> {
    try {
      await this.container.getBlockBlobClient(name).upload("", 0, { metadata: { summary: encodeSummary(summary) }, ...(conditions ? { conditions } : {}) });
      return true;
    } catch (error) {
      if (conditions && (storageStatusOf(error) === 409 || storageStatusOf(error) === 412)) return false;
      throw error;
    }
  }

  private async deleteIfExists(name: string): Promise<void> {
    await this.container.getBlockBlobClient(name).delete().catch((error: unknown) => {
      if (storageStatusOf(error) !== 404) throw error;
    });
  }
}

function scopesOf(summary: RunSummary): string[] {
  return [`job-${summary.job}`, "all"];
}

function entryName(scope: string, view: string, summary: RunSummary): string {
  const inverted = String(INVERT_FROM - Date.parse(summary.createdAt)).padStart(13, "0");
  return `index/${scope}/${view}/${inverted}-${summary.runId}`;
}

function finishedName(summary: RunSummary): string {
  return `index/finished/${new Date(summary.finishedAt ?? summary.createdAt).toISOString()}-${summary.runId}`;
}

/**
 * Metadata values travel as HTTP headers (ASCII), so the summary is JSON in base64url, with its detail
 * cut so that all of it stays far below the 8 KiB metadata limit (Set Blob Metadata).
 */
function encodeSummary(summary: RunSummary): string {
  const detail = summaryDetail(summary.detail);
  return Buffer.from(JSON.stringify({ ...summary, ...(detail === undefined ? {} : { detail }) }), "utf8").toString("base64url");
}

function summaryOf(metadata: Record<string, string> | undefined): RunSummary | undefined {
  const encoded = metadata?.summary;
  if (!encoded) return undefined;
  try {
    return JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")) as RunSummary;
  } catch {
    return undefined;
  }
}

/** A token is the storage marker bound to its query, so a page of one list cannot continue another. */
function fingerprint(query: RunListQuery): string {
  return [query.job ?? "*", query.state ?? "*", query.since?.toISOString() ?? "*"].join("|");
}

function writeToken(marker: string, query: string): string {
  return Buffer.from(JSON.stringify({ m: marker, q: query }), "utf8").toString("base64url");
}

function readToken(token: string, query: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw new InvalidContinuationToken("is not a token this API gave out");
  }
  const { m, q } = (parsed ?? {}) as { m?: unknown; q?: unknown };
  if (typeof m !== "string" || typeof q !== "string") throw new InvalidContinuationToken("is not a token this API gave out");
  if (q !== query) throw new InvalidContinuationToken("belongs to a list with other filters (job, state or since)");
  return m;
}

/** Before the first run there is no container: an empty list, not an error. */
async function missingContainerAsEmpty<T>(page: Promise<T>): Promise<T | undefined> {
  try {
    return await page;
  } catch (error) {
    if (storageStatusOf(error) === 404) return undefined;
    throw error;
  }
}
