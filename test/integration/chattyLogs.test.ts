/**
 * Containers that write fast, in virtual time with the Azure Storage provider's timer latency modelled
 * (host.json's maxQueuePollingInterval): the watch reads them by their output rate, so that what ACI keeps
 * after a stop (16 KB / 1,000 lines) still holds everything written since the last look.
 */
import { describe, expect, it } from "vitest";
import { watchInstanceId } from "../../src/runs/contracts";
import { useHarness } from "./harness";

const SECOND = 1_000;

/** `perSecond` lines of about `width` bytes (40 by default) for `seconds`, then the container stops. */
function chatty(perSecond: number, seconds: number, width = 40) {
  const logs = Array.from({ length: perSecond * seconds }, (_, i) => ({ at: Math.floor((i * SECOND) / perSecond), line: `line ${String(i).padStart(7, "0")} ${"x".repeat(width - 18)}` }));
  return { runMs: seconds * SECOND + 500, logs };
}

const h = useHarness([
  { id: "chatty", retries: 0, container: { image: "test/chatty" } },
  { id: "torrent", retries: 0, container: { image: "test/torrent" } },
]);

function looks(runId: string): number {
  return h.app.host.history(watchInstanceId(runId, 1)).filter((event) => event.EventType === 5 /* TaskScheduled */).length;
}

describe("a container that writes fast", () => {
  it("keeps every line of 33 lines a second for 90 s, looking more often than the age schedule would", async () => {
    const behaviour = chatty(33, 90);
    h.app.emulator!.setBehaviour("test/chatty", behaviour);
    const { runId, result } = await h.run("chatty");
    expect(result.status, result.detail).toBe("succeeded");
    expect(result.attempts[0]).toMatchObject({ logLines: behaviour.logs.length, logLinesMissed: false });
    expect(h.containerLines(runId)).toEqual(behaviour.logs.map((l) => l.line));
    // The age schedule alone looks at about 13, 26, 40, 53, 66, 80 and 93 s: 7 looks.
    expect(looks(runId)).toBeGreaterThan(15);
  });

  it("measures the first rate from the container's first line, so a long image pull does not make it look quiet", async () => {
    // A minute of pulling, then 15 s of 33 lines of 50 bytes a second: measured from the create, the first
    // rate would be a fraction of the real one, and the next look would come after the stop had cut the log.
    const behaviour = { ...chatty(33, 15, 50), pendingMs: 2 * SECOND, creatingMs: 60 * SECOND };
    h.app.emulator!.setBehaviour("test/chatty", behaviour);
    const { result } = await h.run("chatty");
    expect(result.attempts[0], result.detail).toMatchObject({ logLines: behaviour.logs.length, logLinesMissed: false });
  });

  it("says how many lines it lost when a container writes faster than looks every 2 s can keep", async () => {
    const behaviour = chatty(400, 60);
    h.app.emulator!.setBehaviour("test/torrent", behaviour);
    const { runId, result } = await h.run("torrent");
    expect(result.status, result.detail).toBe("succeeded");
    const attempt = result.attempts[0]!;
    expect(attempt.logLinesMissed).toBe(true);
    expect(attempt.logLines).toBeLessThan(behaviour.logs.length);
    // ACI's API cannot say how many it dropped; the run estimates it from the output's own rate.
    const lost = behaviour.logs.length - attempt.logLines;
    const estimate = Number(/About (\d+) lines of the container's output were lost/u.exec(result.detail)?.[1]);
    expect(Math.abs(estimate - lost)).toBeLessThanOrEqual(Math.max(5, lost * 0.1));
    // What was read is the container's output in order, the lost lines missing, none doubled.
    const read = h.containerLines(runId);
    expect(new Set(read).size).toBe(read.length);
    expect(read).toEqual([...read].sort());
  });
});
