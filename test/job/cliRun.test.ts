/**
 * `npm run job` end to end, in this process, on the embedded emulators in virtual time (issue 10): trying
 * a job with an image of your own, what it prints when the image is unknown, and an activity's failed
 * tries, one line each. (A missing `--secret` is in cliSecret.test.ts: the managed-identity credential
 * the Key Vault client uses remembers the first emulator's token endpoint, so one such run per process.)
 */
import { describe, expect, it } from "vitest";
import { runJobCommand, type JobCommandOptions } from "../../dev/job/runJobCommand";

interface Captured {
  readonly code: number;
  readonly lines: string[];
  readonly text: string;
}

async function job(argv: readonly string[], options: JobCommandOptions = {}): Promise<Captured> {
  const lines: string[] = [];
  const code = await runJobCommand(argv, { env: {}, out: (line) => lines.push(line), err: (line) => lines.push(line), ...options });
  return { code, lines, text: lines.join("\n") };
}

const occurrences = (text: string, needle: string) => text.split(needle).length - 1;
const withImage = (image: string) => JSON.stringify({ container: { image } });

describe("trying a job with your own image", () => {
  it("runs it as --image-behaviour says: its output, its exit code", async () => {
    const ok = await job(["azure_container_instances", "--override", withImage("myorg/job:1"), "--image-behaviour", "myorg/job:1=exit:0,duration:30s,output:hello\\nfrom my image"]);
    expect(ok.code, ok.text).toBe(0);
    expect(ok.lines).toContain("  | hello");
    expect(ok.lines).toContain("  | from my image");
    expect(ok.lines.at(-1)).toMatch(/^✔ azure_container_instances succeeded \(1 attempt, exit code 0, cleaned up/u);

    const failing = await job(["azure_container_instances", "--override", withImage("myorg/job:1"), "--image-behaviour", "myorg/job:1=exit:3"]);
    expect(failing.code).toBe(1);
    expect(failing.text).toContain("exit code 3");
  });

  it("says once, when the image is unknown, that the emulator runs only its built-in images and how to try it", async () => {
    const { code, text, lines } = await job(["azure_container_instances", "--override", withImage("myorg/job:1")]);
    expect(code).toBe(1);
    expect(occurrences(text, "The ACI emulator runs only its built-in images (hello-world, busybox, alpine, ubuntu)")).toBe(1);
    expect(occurrences(text, "--image-behaviour 'myorg/job:1=exit:0,duration:30s,output:hello'")).toBe(1);
    expect(lines.at(-1)).toMatch(/^✘ azure_container_instances failed, imagePull \(1 attempt, nothing created, .*\(message above\)$/u);
  });
});

describe("an activity's failed tries", () => {
  it("prints one line per failed try, with the activity and its reason, while Durable retries it", async () => {
    const { code, lines, text } = await job(["azure_container_instances"], {
      // A Retry-After longer than the app waits inside an activity sends the throttled create back to Durable.
      onAppStarted: (app) => app.emulator!.injectFault({ method: "PUT", times: 2, fault: { status: 429, retryAfterSeconds: 120 } }),
    });
    expect(code, text).toBe(0);
    if (process.env.SHOW_CLI_OUTPUT) console.log(text);
    const retries = lines.filter((line) => line.includes("activity createContainerGroup failed"));
    expect(retries).toHaveLength(2);
    for (const line of retries) {
      expect(line).toMatch(/^ {2}\[\d\d:\d\d:\d\d\] WARNING activity createContainerGroup failed \(retried while its tries last\): \S/u);
      expect(line).not.toContain("\n");
      expect(line.length).toBeLessThan(330);
    }
    expect(lines.at(-1)).toMatch(/^✔ azure_container_instances succeeded/u);
  });
});

describe("--help", () => {
  it("exits 0", async () => {
    const { code, text } = await job(["--help"]);
    expect(code).toBe(0);
    expect(text).toContain("azure_container_instances");
  });
});

describe("Ctrl-C", () => {
  it("cancels the run as POST …/cancel does: the group is deleted, the summary says canceled, exit 130", async () => {
    let interrupt: (() => void) | undefined;
    const lines: string[] = [];
    const print = (line: string) => {
      lines.push(line);
      if (/container group [a-z0-9-]+: running$/u.test(line)) interrupt?.();
    };
    const code = await runJobCommand(["azure_container_instances", "--override", withImage("myorg/job:1"), "--image-behaviour", "myorg/job:1=duration:2h,output:working"], {
      env: {},
      out: print,
      err: print,
      onInterrupt: (listener) => {
        interrupt = listener;
        return () => (interrupt = undefined);
      },
    });
    const text = lines.join("\n");
    expect(code, text).toBe(130);
    expect(text).toContain("Ctrl-C: canceling run ");
    expect(lines.at(-1)).toMatch(/^■ azure_container_instances canceled \(1 attempt, cleaned up, .*\): Canceled by npm run job \(Ctrl-C\) at .* while the container ran\./u);
    // The command warns when the emulator still holds a group after the run.
    expect(text).not.toContain("warning: the emulator still has container groups");
  });

  it("quits at once on a second Ctrl-C, not on the same one passed on twice", async () => {
    let interrupt: (() => void) | undefined;
    const lines: string[] = [];
    const print = (line: string) => {
      lines.push(line);
      if (/container group [a-z0-9-]+: running$/u.test(line)) {
        interrupt?.();
        // The same Ctrl-C passed on by npm: ignored.
        interrupt?.();
        setTimeout(() => interrupt?.(), 1_100);
      }
    };
    let release!: () => void;
    const code = await runJobCommand(["azure_container_instances", "--override", withImage("myorg/job:1"), "--image-behaviour", "myorg/job:1=duration:2h"], {
      env: {},
      out: print,
      err: print,
      onInterrupt: (listener) => {
        interrupt = listener;
        return () => (interrupt = undefined);
      },
      // The delete hangs, so the canceled run cannot end before the second Ctrl-C.
      onAppStarted: (app) => app.emulator!.injectFault({ method: "DELETE", fault: { kind: "held", until: new Promise<void>((resolve) => (release = resolve)) } }),
    });
    release();
    expect(code).toBe(130);
    expect(lines.join("\n")).toContain("Ctrl-C again: quitting without waiting");
  });
});
