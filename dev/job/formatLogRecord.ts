/**
 * How `npm run job` prints what the functions log: container output as `  | line`, everything else with
 * the run's elapsed time, so a reader sees the run unfold the way Airflow's task log shows it.
 */
import type { HostLogRecord } from "../durable-host";

const CONTAINER_LINE = /^\[[^\]]+\] \| (.*)$/su;
const RUN_LABEL = /^\[[^\]]+\] /u;

export function formatLogRecord(record: HostLogRecord, elapsedMs: number): string | undefined {
  const message = record.message;
  const container = CONTAINER_LINE.exec(message);
  if (container) return `  | ${container[1]}`;
  const level = record.level === "warning" || record.level === "error" ? ` ${record.level.toUpperCase()}` : "";
  return `  ${clock(elapsedMs)}${level} ${message.replace(RUN_LABEL, "")}`;
}

function clock(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  return `[${two(h)}:${two(m)}:${two(s)}]`;
}
