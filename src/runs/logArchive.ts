/**
 * @module
 * The run's log record: one append blob per attempt (`aci-jobs-runs/logs/<run id>/attempt-<n>.log` in the
 * host storage account), each line once, in order, even though activities are at-least-once (a look that
 * ran twice, or two executions at once, durable-functions.md). The record's position (lines and bytes
 * written) travels with the log cursor through the orchestration. Every append is conditional on that
 * byte position (`If-Append-Position-Equal`), so when another execution got there first, the lines it
 * wrote are counted, skipped, and only the rest appended: the same lines from the same cursor land once.
 */
import { Readable } from "node:stream";
import type { AppendBlobClient, ContainerClient } from "@azure/storage-blob";
import type { TokenCredential } from "@azure/identity";
import type { RunStateStorage } from "../config";
import { attemptLogPath } from "./contracts";
import { runStateContainer, storageStatusOf } from "./runStateContainer";

/** How much of an attempt's log the record holds: lines (log lines and markers) and bytes. */
export interface ArchivePosition {
  readonly lines: number;
  readonly bytes: number;
}

export const EMPTY_ARCHIVE: ArchivePosition = Object.freeze({ lines: 0, bytes: 0 });

export interface AttemptLog {
  readonly runId: string;
  readonly attempt: number;
}

export interface LogArchive {
  /**
   * Appends `lines` (each without a line break) at `position`, skipping those another execution already
   * appended from the same position. Returns the position after them. Throws when storage fails.
   */
  append(log: AttemptLog, position: ArchivePosition, lines: readonly string[]): Promise<ArchivePosition>;
  /** The record's text, or undefined when there is none. */
  read(log: AttemptLog): Promise<string | undefined>;
  /**
   * The record as a stream (read from storage as it is sent), or with `tail` only its last lines, read
   * backwards from the end so a long log costs no more than the lines asked for. Undefined when there is none.
   */
  open(log: AttemptLog, options?: { readonly tail?: number }): Promise<Readable | undefined>;
  /** Deletes the records of every attempt of the run (retention). */
  remove(runId: string): Promise<void>;
}


export function createBlobLogArchive(storage: RunStateStorage, credential: TokenCredential, containerName?: string): LogArchive {
  const { container, ensure } = runStateContainer(storage, credential, containerName);
  return new BlobLogArchive(container, ensure);
}

/** Append blobs take blocks of up to 4 MiB (Put Append Block); a look's new lines are split to fit. */
const MAX_BLOCK_BYTES = 4 * 1024 * 1024;

class BlobLogArchive implements LogArchive {
  constructor(
    private readonly container: ContainerClient,
    private readonly ensureContainer: () => Promise<unknown>,
  ) {}

  async append(log: AttemptLog, position: ArchivePosition, lines: readonly string[]): Promise<ArchivePosition> {
    if (lines.length === 0) return position;
    await this.ensureContainer();
    const blob = this.container.getAppendBlobClient(attemptLogPath(log.runId, log.attempt));
    if (position.bytes === 0) await blob.createIfNotExists({ blobHTTPHeaders: { blobContentType: "text/plain; charset=utf-8" } });
    let at = position;
    let rest = lines;
    while (rest.length > 0) {
      const chunk = fitting(rest);
      const body = Buffer.from(chunk.map((line) => `${line}\n`).join(""), "utf8");
      try {
        await blob.appendBlock(body, body.length, { conditions: { appendPosition: at.bytes } });
        at = { lines: at.lines + chunk.length, bytes: at.bytes + body.length };
        rest = rest.slice(chunk.length);
      } catch (error) {
        if (storageStatusOf(error) !== 412) throw error;
        const theirs = await linesAfter(blob, at.bytes);
        // Appends are whole lines, so a refused position with nothing after it cannot be ours to mend.
        if (theirs.length === 0) throw error;
        const same = commonPrefix(theirs, rest);
        if (same === theirs.length || same === rest.length) {
          // Another execution of this look appended from here first: what it wrote is a head of the same
          // lines (or all of them and more, from a newer snapshot). Skip it.
          at = { lines: at.lines + same, bytes: at.bytes + byteLength(rest.slice(0, same)) };
          rest = rest.slice(same);
        } else {
          // Something else landed here: a write this run counted as failed did go through after all. Keep
          // it, go on after it, and say that lines around here may appear twice rather than lose any.
          at = { lines: at.lines + theirs.length, bytes: at.bytes + byteLength(theirs) };
          rest = [OUT_OF_STEP, ...rest.filter((line) => line !== OUT_OF_STEP)];
        }
      }
    }
    return at;
  }

  async open(log: AttemptLog, options: { readonly tail?: number } = {}): Promise<Readable | undefined> {
    const blob = this.container.getAppendBlobClient(attemptLogPath(log.runId, log.attempt));
    try {
      if (options.tail === undefined) {
        const response = await blob.download();
        // Created, but storage took none of its lines: there is no archive to show.
        if (!response.contentLength) return undefined;
        return response.readableStreamBody ? Readable.from(response.readableStreamBody as AsyncIterable<Buffer>) : Readable.from([]);
      }
      const size = (await blob.getProperties()).contentLength ?? 0;
      return size === 0 ? undefined : Readable.from([await lastLines(blob, size, options.tail)]);
    } catch (error) {
      if (storageStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async remove(runId: string): Promise<void> {
    // By the run's prefix, not by its attempt count: a run that ended without recording it (terminated)
    // may not know how many attempts wrote a record.
    for await (const item of this.container.listBlobsFlat({ prefix: `${attemptLogPath(runId, 1).replace(/attempt-1\.log$/u, "")}` })) {
      await this.container.getAppendBlobClient(item.name).deleteIfExists();
    }
  }

  async read(log: AttemptLog): Promise<string | undefined> {
    try {
      const buffer = await this.container.getAppendBlobClient(attemptLogPath(log.runId, log.attempt)).downloadToBuffer();
      return buffer.toString("utf8");
    } catch (error) {
      if (storageStatusOf(error) === 404) return undefined;
      throw error;
    }
  }
}

/** The longest head of `lines` that fits one append block (at least one line; a longer one is cut by ACI's caps anyway). */
function fitting(lines: readonly string[]): readonly string[] {
  let bytes = 0;
  for (let i = 0; i < lines.length; i++) {
    bytes += Buffer.byteLength(lines[i]!, "utf8") + 1;
    if (bytes > MAX_BLOCK_BYTES) return lines.slice(0, Math.max(1, i));
  }
  return lines;
}

/** Bytes read per step when reading a log backwards for its tail. */
const TAIL_CHUNK_BYTES = 256 * 1024;
/** The most a tail reads: lines beyond it are left out (a tail of 100,000 lines of 2 KB each would be 200 MB). */
export const MAX_TAIL_BYTES = 32 * 1024 * 1024;

/**
 * The last `count` lines of the blob (`size` bytes; each line with its break), read backwards in chunks from
 * the end: each chunk's line breaks are counted once, and the chunks joined once. At most
 * {@link MAX_TAIL_BYTES}, cut at a line break.
 */
async function lastLines(blob: AppendBlobClient, size: number, count: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let start = size;
  // count + 1 line breaks: the one before the first line wanted marks where it begins.
  let breaks = 0;
  while (start > 0 && breaks <= count && size - start < MAX_TAIL_BYTES) {
    const from = Math.max(0, start - TAIL_CHUNK_BYTES, size - MAX_TAIL_BYTES);
    const chunk = await blob.downloadToBuffer(from, start - from);
    for (const byte of chunk) if (byte === 0x0a) breaks++;
    chunks.unshift(chunk);
    start = from;
  }
  const tail = Buffer.concat(chunks);
  // Every line ends with a break; skip the last one, then step back `count` lines.
  let seen = 0;
  for (let i = tail.length - 2; i >= 0; i--) {
    if (tail[i] === 0x0a && ++seen === count) return tail.subarray(i + 1);
  }
  // Fewer lines than asked for: all of them, unless the read stopped at the cap inside a line.
  if (start === 0) return tail;
  const first = tail.indexOf(0x0a);
  return first < 0 ? Buffer.alloc(0) : tail.subarray(first + 1);
}

/** The complete lines in the blob after byte `offset`. */
async function linesAfter(blob: AppendBlobClient, offset: number): Promise<string[]> {
  const text = (await blob.downloadToBuffer(offset)).toString("utf8");
  return text.split("\n").slice(0, -1);
}

function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function byteLength(lines: readonly string[]): number {
  return lines.reduce((sum, line) => sum + Buffer.byteLength(line, "utf8") + 1, 0);
}

/** Marks where the record and the run's count of it parted: the lines around it may be repeated, none lost. */
export const OUT_OF_STEP = "[aci-jobs] a write counted as failed had gone through: the lines around here may appear twice.";
