/**
 * The run slots and the log record on Azurite: conditional writes decide who holds a slot, and who wrote
 * which log lines, under concurrency.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DefaultAzureCredential } from "@azure/identity";
import { OUT_OF_STEP, createBlobLogArchive } from "../../src/runs/logArchive";
import { createBlobRunSlots, type RunState } from "../../src/runs/runSlots";

function storage() {
  const connectionString = process.env.AZURITE_CONNECTION_STRING;
  if (!connectionString) throw new Error("AZURITE_CONNECTION_STRING is not set: the global setup starts Azurite");
  return { kind: "connectionString" as const, connectionString };
}

describe("run slots", () => {
  const credential = new DefaultAzureCredential();

  it("lets the next run in at once when the holder's run ended without releasing its slot", async () => {
    const slots = createBlobRunSlots(storage(), credential);
    const job = `job${randomUUID().slice(0, 8)}`;
    const states = new Map<string, RunState>([["first", "active"]]);
    const stateOf = async (runId: string) => states.get(runId) ?? "notFound";
    expect(await slots.claim(job, "first", 1, stateOf)).toEqual({ acquired: true, slot: 0 });
    expect(await slots.claim(job, "second", 1, stateOf)).toEqual({ acquired: false, activeRunIds: ["first"] });
    // The run ended, but releasing its slot failed: a young slot must not block the job for minutes.
    states.set("first", "ended");
    expect(await slots.claim(job, "second", 1, stateOf)).toEqual({ acquired: true, slot: 0 });
  });

  it("still counts a just-claimed holder without an instance as starting, so two starts cannot overlap", async () => {
    const slots = createBlobRunSlots(storage(), credential);
    const job = `job${randomUUID().slice(0, 8)}`;
    const stateOf = async () => "notFound" as const;
    expect(await slots.claim(job, "first", 1, stateOf)).toEqual({ acquired: true, slot: 0 });
    expect(await slots.claim(job, "second", 1, stateOf)).toEqual({ acquired: false, activeRunIds: ["first"] });
  });
});

describe("log record", () => {
  const credential = new DefaultAzureCredential();

  it("holds each line once when the same look appends twice, concurrently or after the first finished", async () => {
    const archive = createBlobLogArchive(storage(), credential);
    const log = { runId: `run-${randomUUID()}`, attempt: 1 };
    const lines = Array.from({ length: 50 }, (_, i) => `2026-01-01T00:00:${String(i).padStart(2, "0")}.000000000Z line ${i}`);
    const start = { lines: 0, bytes: 0 };
    // Two executions of the first look, at once, one with an older snapshot (fewer lines).
    const [a, b] = await Promise.all([archive.append(log, start, lines.slice(0, 20)), archive.append(log, start, lines.slice(0, 30))]);
    expect([a.lines, b.lines].sort()).toEqual([20, 30]);
    // The orchestration took either result; the next look goes on from there, the record skips what it has.
    const after = await archive.append(log, a, lines.slice(20));
    await archive.append(log, a, lines.slice(20)); // and that look ran twice too
    expect(after).toEqual({ lines: 50, bytes: lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0) });
    expect(await archive.read(log)).toBe(lines.map((line) => `${line}\n`).join(""));
  });

  it("loses no line when a write it counted as failed had gone through, and marks where lines may repeat", async () => {
    const archive = createBlobLogArchive(storage(), credential);
    const log = { runId: `run-${randomUUID()}`, attempt: 1 };
    const first = await archive.append(log, { lines: 0, bytes: 0 }, ["a", "b", "c"]);
    // A look's append of "d" landed, but the look saw storage fail and went on from `first`.
    await archive.append(log, first, ["d"]);
    const next = await archive.append(log, first, ["[aci-jobs] 1 line(s) could not be archived here", "f", "g"]);
    await archive.append(log, next, ["h"]);
    expect((await archive.read(log))!.split("\n").slice(0, -1)).toEqual(["a", "b", "c", "d", OUT_OF_STEP, "[aci-jobs] 1 line(s) could not be archived here", "f", "g", "h"]);
  });

  it("keeps text with carriage returns and multi-byte characters byte-exact", async () => {
    const archive = createBlobLogArchive(storage(), credential);
    const log = { runId: `run-${randomUUID()}`, attempt: 2 };
    const lines = ["x 10%\r20%", "x ünïcødé \u2028 ✓", "x tab\there"];
    const position = await archive.append(log, { lines: 0, bytes: 0 }, lines);
    expect(await archive.append(log, { lines: 0, bytes: 0 }, lines)).toEqual(position);
    expect(await archive.read(log)).toBe(lines.map((line) => `${line}\n`).join(""));
  });
});
