/**
 * Ctrl-C in a terminal under `npm run job`, as a real process group: the terminal signals every process
 * in it, and npm and tsx pass the signal on to their child as well, so the job's process gets SIGINT
 * twice for one Ctrl-C. That must cancel the run (and wait for its delete), not quit at once.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const REPOSITORY = join(__dirname, "..", "..");

describe("Ctrl-C under npm run job", () => {
  it("cancels the run, deletes its group and exits 130", async () => {
    const npm = spawn(
      "npm",
      ["run", "job", "--", "azure_container_instances", "--override", '{"container":{"image":"myorg/job:1"}}', "--image-behaviour", "myorg/job:1=duration:2h,output:working"],
      { cwd: REPOSITORY, stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, AZURE_SUBSCRIPTION_ID: "" } },
    );
    let output = "";
    let signalled = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!signalled && /container group [a-z0-9-]+: running/u.test(output)) {
        signalled = true;
        // What a terminal does on Ctrl-C: SIGINT to the whole foreground process group.
        process.kill(-npm.pid!, "SIGINT");
      }
    };
    npm.stdout!.on("data", onData);
    npm.stderr!.on("data", onData);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => npm.once("exit", (...ended) => resolve(ended)));
    // npm itself ends by the SIGINT once the job has exited, which a shell reports as 130 (128 + 2) as well.
    expect(code ?? (signal === "SIGINT" ? 130 : signal), output).toBe(130);
    expect(output).toContain("Ctrl-C: canceling run ");
    expect(output).not.toContain("Ctrl-C again: quitting");
    expect(output).toMatch(/■ azure_container_instances canceled \(1 attempt, cleaned up/u);
    expect(output).not.toContain("the emulator still has container groups");
  }, 60_000);
});
