/**
 * @module
 * `listLogs` content (aci-rest-api.md §7): only lines whose time has come, capped at 4 MB while the container
 * runs and at 16 KB or 1,000 lines once it has stopped (the newest lines are kept), then `tail`, then
 * `timestamps`. After a restart only the current (or last) run's output is shown, like `kubectl logs` without
 * `--previous` (emulator's model; §7 does not say).
 */
import type { LogWindow } from "./computeDeploymentView";
import type { TimedLogLine } from "./containerBehaviour";
import { formatLogTimestamp } from "./formatTime";

export const RUNNING_LOG_CAP_BYTES = 4 * 1024 * 1024;
export const STOPPED_LOG_CAP_BYTES = 16 * 1024;
export const STOPPED_LOG_CAP_LINES = 1000;

export interface LogQuery {
  readonly tail?: number;
  readonly timestamps: boolean;
}

interface StampedLine {
  readonly line: string;
  readonly at: number;
  readonly extraNanos: number;
}

export function readContainerLogs(lines: readonly TimedLogLine[], window: LogWindow, now: number, query: LogQuery): string {
  const visibleUntil = Math.min(now, window.endsAt);
  const written = stamp(lines.filter((line) => window.startedAt + line.at <= visibleUntil), window.startedAt);
  const kept = window.running
    ? keepNewest(written, Number.POSITIVE_INFINITY, RUNNING_LOG_CAP_BYTES)
    : keepNewest(written, STOPPED_LOG_CAP_LINES, STOPPED_LOG_CAP_BYTES);
  const tailed = query.tail === undefined ? kept : kept.slice(Math.max(0, kept.length - query.tail));
  return tailed.map(({ line, at, extraNanos }) => `${query.timestamps ? `${formatLogTimestamp(at, extraNanos)} ` : ""}${line}\n`).join("");
}

/** Lines written in the same millisecond get increasing sub-millisecond digits, so timestamps stay strictly ordered. */
function stamp(lines: readonly TimedLogLine[], startedAt: number): StampedLine[] {
  let previousAt = Number.NaN;
  let sameMillisecond = 0;
  return lines.map(({ at, line }) => {
    const time = startedAt + at;
    sameMillisecond = time === previousAt ? sameMillisecond + 1 : 0;
    previousAt = time;
    return { line, at: time, extraNanos: Math.min(999_999, sameMillisecond * 1000) };
  });
}

/** Keeps the newest lines within both caps; a single line longer than the byte cap keeps its end. */
function keepNewest(lines: readonly StampedLine[], maxLines: number, maxBytes: number): StampedLine[] {
  const kept: StampedLine[] = [];
  let bytes = 0;
  for (let index = lines.length - 1; index >= 0 && kept.length < maxLines; index--) {
    const entry = lines[index] as StampedLine;
    const size = Buffer.byteLength(entry.line) + 1;
    if (bytes + size > maxBytes) {
      if (kept.length === 0) kept.push({ ...entry, line: Buffer.from(entry.line).subarray(-(maxBytes - 1)).toString() });
      break;
    }
    kept.push(entry);
    bytes += size;
  }
  return kept.reverse();
}
