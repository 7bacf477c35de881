/**
 * `npm run job -- <job> [--override '<json>'] [--secret name=value ...]`: one run of a job in this process,
 * like `airflow dags test`. With AZURE_SUBSCRIPTION_ID set it runs against Azure (your `az login`
 * identity, the vault in KEY_VAULT_URI; durable timers wait in real time); otherwise on the embedded ACI
 * and Key Vault emulators in virtual time, the vault holding the `--secret` values. It streams the
 * container's log, ends with a one-line summary, and exits 0 (succeeded), 1 (failed) or 2 (bad usage
 * or configuration). Like `airflow dags test`, it ignores the job's active-run limit.
 */
import { parseArgs } from "node:util";
import { ConfigError } from "../../src/config";
import { JOB_DEFINITIONS, JobDefinitionError } from "../../src/jobs";
import type { RunResult } from "../../src/runs/contracts";
import { newRunId, startRun } from "../../src/runs/startRun";
import { startAzureApp, startEmulatedApp, type LocalApp } from "../local/localApp";
import { ensureEmulatorTrust } from "../local/trust";
import { formatLogRecord } from "./formatLogRecord";
import { applyOverride, OverrideError } from "./override";

const USAGE = `Usage: npm run job -- <job> [--override '<json>'] [--secret <name>=<value> ...]

Runs one run of <job> in this process and exits 0 when it succeeded, 1 when it failed.
  --override '<json>'     a partial job definition merged onto the job for this run, e.g.
                          '{"container": {"image": "busybox", "command": ["sh", "-c", "echo hi"]}}'
  --secret <name>=<value> a secret in the emulated Key Vault, for jobs with Key Vault references
                          (repeatable; emulator only: in Azure the job reads the vault in KEY_VAULT_URI)
Without AZURE_SUBSCRIPTION_ID it runs on the embedded ACI and Key Vault emulators.`;

const EXIT = { succeeded: 0, failed: 1, usage: 2 } as const;

async function main(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: [...argv], allowPositionals: true, options: { override: { type: "string" }, secret: { type: "string", multiple: true }, help: { type: "boolean", short: "h" } } });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (args.values.help) {
    console.log(USAGE);
    return EXIT.succeeded;
  }
  const [jobId, ...extra] = args.positionals;
  if (!jobId || extra.length > 0) {
    console.error(USAGE);
    return EXIT.usage;
  }

  const definitions = JOB_DEFINITIONS;
  const definition = definitions.find((d) => (d as { id?: string }).id?.toLowerCase() === jobId.toLowerCase());
  if (!definition) {
    const known = definitions.map((d) => (d as { id?: string }).id).join(", ");
    console.error(`There is no job "${jobId}". Jobs: ${known}.`);
    return EXIT.usage;
  }

  const useAzure = Boolean(process.env.AZURE_SUBSCRIPTION_ID);
  const secrets = parseSecrets(args.values.secret ?? []);
  if (typeof secrets === "string") {
    console.error(`${secrets}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (useAzure && Object.keys(secrets).length > 0) {
    console.error("--secret seeds the emulated Key Vault only; against Azure, store secrets in the vault in KEY_VAULT_URI (docs/deploy.md).");
    return EXIT.usage;
  }
  if (!useAzure) await ensureEmulatorTrust();

  let app: LocalApp | undefined;
  try {
    const jobDefinitions = args.values.override === undefined ? definitions : definitions.map((d) => (d === definition ? applyOverride(d, args.values.override!) : d));
    const startedAt = Date.now();
    const print = (record: Parameters<typeof formatLogRecord>[0]) => {
      const line = formatLogRecord(record, app ? app.clock.now() - runStart : 0);
      if (line !== undefined) (record.level === "error" ? console.error : console.log)(line);
    };
    let runStart = Date.now();
    if (useAzure) {
      console.log(`aci-jobs: running ${jobId} against Azure subscription ${process.env.AZURE_SUBSCRIPTION_ID} (durable timers wait in real time).`);
      app = await startAzureApp({ jobDefinitions, log: print });
    } else {
      console.log("aci-jobs: AZURE_SUBSCRIPTION_ID is not set, so this run uses the embedded ACI and Key Vault emulators (virtual time).");
      app = await startEmulatedApp({ jobDefinitions, log: print, secrets });
    }
    const job = app.jobs.get(jobId)!;
    runStart = app.clock.now();
    const runId = newRunId(`${job.id}-cli`, new Date(runStart));
    console.log(`run ${runId}: ${job.container.image} in ${job.container.region ?? app.config.defaultRegion}, container group ${job.container.groupName ?? "(one per attempt)"}`);
    const outcome = await startRun({ client: app.host.client, job, runId, trigger: { kind: "cli" }, defaultRegion: app.config.defaultRegion });
    if (!outcome.started) throw new Error(`run ${runId} did not start: ${outcome.reason}`);
    const status = await app.host.waitForCompletion(runId);
    if (String(status.runtimeStatus) !== "Completed") {
      console.error(`✘ run ${runId} ended as ${String(status.runtimeStatus)}: ${String(status.output)}`);
      return EXIT.failed;
    }
    const result = status.output as RunResult;
    console.log(summarise(result, app.clock.now() - runStart, useAzure ? undefined : Date.now() - startedAt));
    const leftover = app.emulator?.listGroups() ?? [];
    if (leftover.length > 0) console.error(`warning: the emulator still has container groups: ${leftover.map((g) => g.name).join(", ")}`);
    return result.status === "succeeded" ? EXIT.succeeded : EXIT.failed;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof JobDefinitionError || error instanceof OverrideError) {
      console.error(error.message);
      return EXIT.usage;
    }
    throw error;
  } finally {
    await app?.close();
  }
}

/** `name=value` pairs of --secret, or a message saying which one is malformed. */
function parseSecrets(pairs: readonly string[]): Record<string, string> | string {
  const secrets: Record<string, string> = {};
  for (const pair of pairs) {
    const separator = pair.indexOf("=");
    const name = separator > 0 ? pair.slice(0, separator) : "";
    if (!/^[A-Za-z0-9-]{1,127}$/u.test(name)) return `--secret ${JSON.stringify(pair.slice(0, Math.max(separator, 0)) || pair.slice(0, 20))}: expected <name>=<value>, the name 1-127 letters, digits and hyphens`;
    secrets[name] = pair.slice(separator + 1);
  }
  return secrets;
}

function summarise(result: RunResult, elapsedMs: number, wallMs: number | undefined): string {
  const mark = result.status === "succeeded" ? "✔" : "✘";
  const attempts = `${result.attempts.length} attempt${result.attempts.length === 1 ? "" : "s"}`;
  const exit = result.exitCode === undefined ? "" : `, exit code ${result.exitCode}`;
  const cleanup = cleanupSummary(result);
  const last = result.attempts.at(-1);
  const reason = result.status === "succeeded" || !last?.reason ? "" : `, ${last.reason}`;
  const took = `${(elapsedMs / 1000).toFixed(1)} s${wallMs === undefined ? "" : ` virtual, ${(wallMs / 1000).toFixed(1)} s wall`}`;
  return `${mark} ${result.jobId} ${result.status}${reason} (${attempts}${exit}, ${cleanup}, ${took}): ${result.detail}`;
}

/** What became of the run's container groups, in the words a person checking their bill wants. */
function cleanupSummary(result: RunResult): string {
  const cleanups = result.attempts.map((a) => a.cleanup);
  if (cleanups.includes("failed")) return "NOT cleaned up";
  if (cleanups.every((c) => c === "notCreated")) return "nothing created";
  if (cleanups.includes("kept")) return "group kept";
  return "cleaned up";
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(EXIT.failed);
  },
);
