/**
 * `npm run job`'s command line (issue 10, item 9): --help lists the jobs and the exit codes, a command
 * line it refuses says why, and options npm took for itself (written before `--`) are caught instead of
 * being silently dropped.
 */
import { describe, expect, it } from "vitest";
import { EXIT, parseCommandLine } from "../../dev/job/parseCommandLine";
import { JOB_DEFINITIONS } from "../../src/jobs";

const parse = (argv: readonly string[], env: NodeJS.ProcessEnv = {}) => parseCommandLine(argv, JOB_DEFINITIONS, env);

function refusal(argv: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  const parsed = parse(argv, env);
  if (parsed.kind !== "refused") throw new Error(`expected a refusal, got ${parsed.kind}`);
  return parsed.message.split("\n\nUsage:")[0]!;
}

describe("--help", () => {
  it("lists every job with its description and every exit code", () => {
    const parsed = parse(["--help"]);
    expect(parsed.kind).toBe("help");
    const text = parsed.kind === "help" ? parsed.text : "";
    for (const definition of JOB_DEFINITIONS as { id: string; description: string }[]) {
      expect(text).toMatch(new RegExp(`^  ${definition.id} +${definition.description.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&")}$`, "mu"));
    }
    expect(text).toMatch(/^ {2}0 {2}the run succeeded/mu);
    expect(text).toMatch(/^ {2}1 {2}the run failed/mu);
    expect(text).toMatch(/^ {2}2 {2}bad usage or configuration/mu);
    expect(text).toContain("cannot get a");
    expect(text).toContain("--image-behaviour '<image>=exit:<code>,duration:<duration>,output:<text>'");
    expect(text).toMatch(/^ {2}130 {2}Ctrl-C: the run was canceled/mu);
    expect(EXIT).toEqual({ succeeded: 0, failed: 1, usage: 2, interrupted: 130 });
  });
});

describe("refusals say why", () => {
  it("refuses a second job: one job per run", () => {
    expect(refusal(["azure_container_instances", "x"])).toBe("unexpected argument 'x': one job per run (azure_container_instances is the job).");
  });

  it("asks for a job, and names the jobs there are for an unknown one", () => {
    expect(refusal([])).toContain("Name the job to run");
    expect(refusal(["nope"])).toBe('There is no job "nope". Jobs: azure_container_instances.');
  });

  it("says how to write an --image-behaviour it cannot read", () => {
    expect(refusal(["azure_container_instances", "--image-behaviour", "job=exit:x"])).toContain("exit code 'x' is not a number from 0 to 255");
  });
});

describe("options npm took for itself (written before `--`)", () => {
  it("catches a value left behind as an argument: `npm run job x --override '{...}'`", () => {
    expect(refusal(["azure_container_instances", '{"container":{"image":"busybox"}}'])).toBe(
      `unexpected argument '{"container":{"image":"busybox"}}': it looks like the value of --override, which npm took for itself. ` +
        "Put the options after `--`: npm run job -- azure_container_instances --override ...",
    );
    expect(refusal(["azure_container_instances", "db-password=s3cret"])).toContain("the value of --secret, which npm took for itself");
    expect(refusal(["azure_container_instances", "myorg/job:1=exit:0"])).toContain("npm run job -- azure_container_instances --image-behaviour ...");
  });

  it("catches an option npm swallowed whole (`--override=...`), which would otherwise run the job without it", () => {
    expect(refusal(["azure_container_instances"], { npm_config_override: '{"container":{"image":"busybox"}}' })).toBe(
      "npm took --override for itself, so the job would run without it. Put the options after `--`: npm run job -- azure_container_instances --override ...",
    );
    expect(refusal(["azure_container_instances"], { npm_config_secret: "a=b", npm_config_image_behaviour: "x=exit:1" })).toContain(
      "npm took --secret and --image-behaviour for itself, so the job would run without them.",
    );
  });

  it("runs a well-formed command line", () => {
    const parsed = parse(["AZURE_container_instances", "--secret", "a=b=c", "--image-behaviour", "myorg/job:1=exit:3"]);
    expect(parsed).toMatchObject({
      kind: "run",
      command: { jobId: "azure_container_instances", secrets: { a: "b=c" }, imageBehaviours: [{ image: "myorg/job:1", behaviour: { exitCode: 3 } }] },
    });
  });
});
