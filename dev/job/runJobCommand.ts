/**
 * `npm run job` itself, apart from the process it runs in (so tests can drive it): reads the command
 * line, starts the app on the emulators or against Azure, runs the job once, prints the run as it
 * unfolds and a one-line summary, and returns the exit code (see {@link usage}).
 */
import { ConfigError } from "../../src/config";
import { JOB_DEFINITIONS, JobDefinitionError } from "../../src/jobs";
import { secretReferencesOf } from "../../src/jobs/container";
import { cancelRun } from "../../src/runs/cancelRun";
import type { RunResult } from "../../src/runs/contracts";
import { newRunId, startRun } from "../../src/runs/startRun";
import { createRedactor } from "../../src/secrets";
import type { HostLogRecord } from "../durable-host";
import { startAzureApp, startEmulatedApp, type LocalApp } from "../local/localApp";
import { ensureEmulatorTrust } from "../local/trust";
import { activityFailureLines } from "./activityFailureLines";
import { formatLogRecord } from "./formatLogRecord";
import { judgeOutcome } from "./judgeOutcome";
import { applyOverride, OverrideError } from "./override";
import { EXIT, parseCommandLine, type ExitCode } from "./parseCommandLine";

export interface JobCommandOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly definitions?: readonly unknown[];
  /** Where lines go; the CLI passes console.log and console.error. */
  readonly out?: (line: string) => void;
  readonly err?: (line: string) => void;
  /** Called once the app is up, before the run starts (tests inject emulator faults here). */
  readonly onAppStarted?: (app: LocalApp) => void;
  /** Subscribes to Ctrl-C; returns the unsubscribe. Default: the process's SIGINT (tests call the listener). */
  readonly onInterrupt?: (listener: () => void) => () => void;
}

function onSigint(listener: () => void): () => void {
  process.on("SIGINT", listener);
  return () => process.off("SIGINT", listener);
}

/** A repeated tail shorter than this is left in the summary: eliding it would save nothing. */
const MIN_ELIDED_LENGTH = 40;

export async function runJobCommand(argv: readonly string[], options: JobCommandOptions = {}): Promise<ExitCode> {
  const env = options.env ?? process.env;
  const definitions = options.definitions ?? JOB_DEFINITIONS;
  const printed: string[] = [];
  const out = (line: string) => {
    printed.push(line);
    (options.out ?? console.log)(line);
  };
  const err = (line: string) => {
    printed.push(line);
    (options.err ?? console.error)(line);
  };

  const parsed = parseCommandLine(argv, definitions, env);
  if (parsed.kind === "help") {
    out(parsed.text);
    return EXIT.succeeded;
  }
  if (parsed.kind === "refused") {
    err(parsed.message);
    return EXIT.usage;
  }
  const { jobId, definition, override, secrets, imageBehaviours } = parsed.command;
  const useAzure = Boolean(env.AZURE_SUBSCRIPTION_ID);
  if (useAzure && Object.keys(secrets).length > 0) {
    err("--secret seeds the emulated Key Vault only; against Azure, store secrets in the vault in KEY_VAULT_URI (docs/deploy.md).");
    return EXIT.usage;
  }
  if (useAzure && imageBehaviours.length > 0) {
    err("--image-behaviour tells the emulator what an image does; against Azure the image is pulled and run for real.");
    return EXIT.usage;
  }
  if (!useAzure) await ensureEmulatorTrust();

  let app: LocalApp | undefined;
  let runId: string | undefined;
  let runStart = Date.now();
  const redact = createRedactor(Object.values(secrets));
  const print = (record: HostLogRecord) => {
    // The orchestration's own closing line ("run <id> of <job> failed: <detail>") says what the summary
    // says; printing both showed a long detail (Key Vault's message, say) twice.
    if (runId !== undefined && record.message.startsWith(`run ${runId} of `)) return;
    const line = formatLogRecord(record, app ? app.clock.now() - runStart : 0);
    if (line !== undefined) (record.level === "error" ? err : out)(line);
  };
  try {
    const jobDefinitions = override === undefined ? definitions : definitions.map((d) => (d === definition ? applyOverride(d, override) : d));
    const startedAt = Date.now();
    const appOptions = {
      jobDefinitions,
      log: print,
      episodeJournal: (episode: Parameters<typeof activityFailureLines>[0]) => {
        for (const failure of activityFailureLines(episode, redact)) {
          print({ time: failure.at, level: "warning", category: "host", message: failure.message });
        }
      },
    };
    if (useAzure) {
      out(`aci-jobs: running ${jobId} against Azure subscription ${env.AZURE_SUBSCRIPTION_ID} (durable timers wait in real time).`);
      app = await startAzureApp(appOptions);
    } else {
      out("aci-jobs: AZURE_SUBSCRIPTION_ID is not set, so this run uses the embedded ACI and Key Vault emulators (virtual time).");
      app = await startEmulatedApp({ ...appOptions, secrets });
      for (const { image, behaviour } of imageBehaviours) app.emulator?.setBehaviour(image, behaviour);
    }
    options.onAppStarted?.(app);
    const job = app.jobs.get(jobId)!;
    runStart = app.clock.now();
    runId = newRunId(`${job.id}-cli`, new Date(runStart));
    out(`run ${runId}: ${job.container.image} in ${job.container.region ?? app.config.defaultRegion}, container group ${job.container.groupName ?? "(one per attempt)"}`);
    const outcome = await startRun({ client: app.host.client, job, runId, trigger: { kind: "cli" }, defaultRegion: app.config.defaultRegion });
    if (!outcome.started) throw new Error(`run ${runId} did not start: ${outcome.reason}`);
    const status = await untilCompletedOrQuit(app, runId, useAzure, options.onInterrupt ?? onSigint, err);
    if (status === "quit") return EXIT.interrupted;
    if (String(status.runtimeStatus) !== "Completed") {
      err(`✘ run ${runId} ended as ${String(status.runtimeStatus)}: ${String(status.output)}`);
      return EXIT.failed;
    }
    const result = status.output as RunResult;
    const judgement = judgeOutcome(result, {
      emulated: !useAzure,
      subscriptionId: app.config.subscriptionId,
      resourceGroup: app.config.resourceGroup,
      ...(app.config.keyVaultUri === undefined ? {} : { keyVaultUri: app.config.keyVaultUri }),
      missingSecrets: [...new Set(secretReferencesOf(job.container).map((reference) => reference.keyVaultSecret))].filter((name) => !(name in secrets)),
      jobId,
    });
    const summary = summarise(result, app.clock.now() - runStart, useAzure ? undefined : Date.now() - startedAt, printed);
    (judgement.exitCode === EXIT.succeeded ? out : err)(summary);
    for (const hint of judgement.hints) err(`hint: ${hint}`);
    const leftover = app.emulator?.listGroups() ?? [];
    if (leftover.length > 0) err(`warning: the emulator still has container groups: ${leftover.map((g) => g.name).join(", ")}`);
    return judgement.exitCode;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof JobDefinitionError || error instanceof OverrideError) {
      err(error.message);
      return EXIT.usage;
    }
    throw error;
  } finally {
    await app?.close();
  }
}

const SAME_CTRL_C_MS = 1_000;

/**
 * Waits for the run. The first Ctrl-C cancels it as POST …/cancel does (the group is deleted, the run ends
 * `canceled`) and keeps waiting for that; a second one, a second or more later, stops waiting at once.
 */
async function untilCompletedOrQuit(
  app: LocalApp,
  runId: string,
  useAzure: boolean,
  onInterrupt: (listener: () => void) => () => void,
  err: (line: string) => void,
): Promise<Awaited<ReturnType<LocalApp["host"]["waitForCompletion"]>> | "quit"> {
  let firstAt: number | undefined;
  let quit!: () => void;
  const quitting = new Promise<"quit">((resolve) => (quit = () => resolve("quit")));
  const unsubscribe = onInterrupt(() => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      err(`Ctrl-C: canceling run ${runId} (its container group is deleted); press Ctrl-C again to quit without waiting.`);
      cancelRun(app.host.client, runId, { requestedAt: new Date(app.clock.now()).toISOString(), by: "npm run job (Ctrl-C)" }).catch((error: unknown) =>
        err(`could not cancel run ${runId}: ${String(error)}`),
      );
      return;
    }
    // One Ctrl-C can arrive twice: the terminal signals the whole process group, and npm and tsx pass it
    // on to their child as well (measured: two SIGINTs under `npm run job`).
    if (Date.now() - firstAt < SAME_CTRL_C_MS) return;
    const where = useAzure ? `; check with \`az container list -g ${app.config.resourceGroup} -o table\`` : "";
    err(`Ctrl-C again: quitting without waiting; the run's container group may still exist${where}.`);
    quit();
  });
  try {
    return await Promise.race([app.host.waitForCompletion(runId), quitting]);
  } finally {
    unsubscribe();
  }
}

/**
 * `detail` without a tail already printed above (ARM's or Key Vault's message, which the activity logged
 * when it happened), cut where a sentence or clause starts, so a long message appears once.
 */
export function withoutRepeatedTail(detail: string, printed: readonly string[]): string {
  for (const boundary of detail.matchAll(/[.:;] /gu)) {
    const start = boundary.index + boundary[0].length;
    const tail = detail.slice(start);
    if (tail.length >= MIN_ELIDED_LENGTH && printed.some((line) => line.includes(tail))) return `${detail.slice(0, start)}(message above)`;
  }
  return detail;
}

function summarise(result: RunResult, elapsedMs: number, wallMs: number | undefined, printed: readonly string[]): string {
  const mark = result.status === "succeeded" ? "✔" : result.status === "canceled" ? "■" : "✘";
  const attempts = `${result.attempts.length} attempt${result.attempts.length === 1 ? "" : "s"}`;
  const exit = result.exitCode === undefined ? "" : `, exit code ${result.exitCode}`;
  const cleanup = cleanupSummary(result);
  const last = result.attempts.at(-1);
  const reason = result.status === "succeeded" || !last?.reason ? "" : `, ${last.reason}`;
  const took = `${(elapsedMs / 1000).toFixed(1)} s${wallMs === undefined ? "" : ` virtual, ${(wallMs / 1000).toFixed(1)} s wall`}`;
  return `${mark} ${result.jobId} ${result.status}${reason} (${attempts}${exit}, ${cleanup}, ${took}): ${withoutRepeatedTail(result.detail, printed)}`;
}

/** What became of the run's container groups, in the words a person checking their bill wants. */
function cleanupSummary(result: RunResult): string {
  const cleanups = result.attempts.map((a) => a.cleanup);
  if (cleanups.includes("failed")) return "NOT cleaned up";
  if (cleanups.every((c) => c === "notCreated")) return "nothing created";
  if (cleanups.includes("kept")) return "group kept";
  return "cleaned up";
}
