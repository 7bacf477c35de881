/**
 * How `npm run job` ends a finished run: its exit code, and a hint when the person at the keyboard can
 * fix the cause (a credential, a role, a missing `--secret`).
 */
import type { RunResult } from "../../src/runs/contracts";
import { EXIT, type ExitCode } from "./parseCommandLine";

export interface OutcomeContext {
  /** The run used the embedded emulators. */
  readonly emulated: boolean;
  readonly subscriptionId: string;
  /** Where container groups are created (ACI_RESOURCE_GROUP). */
  readonly resourceGroup: string;
  readonly keyVaultUri?: string;
  /** Secrets the job refers to that `--secret` did not give (emulator only). */
  readonly missingSecrets: readonly string[];
  readonly jobId: string;
}

export interface Judgement {
  readonly exitCode: ExitCode;
  readonly hints: readonly string[];
}

/**
 * 0 when the run succeeded; 130 when it was canceled (Ctrl-C); 2 when it ended because the identity could not get a token
 * (`credentialUnavailable`) or was refused (`forbidden`), which no retry of the job fixes; 1 otherwise.
 */
export function judgeOutcome(result: RunResult, context: OutcomeContext): Judgement {
  if (result.status === "succeeded") return { exitCode: EXIT.succeeded, hints: [] };
  if (result.status === "canceled") return { exitCode: EXIT.interrupted, hints: [] };
  const last = result.attempts.at(-1);
  const reason = last?.reason;
  const detail = `${last?.detail ?? ""} ${result.detail}`;
  switch (reason) {
    case "credentialUnavailable":
      return {
        exitCode: EXIT.usage,
        hints: [
          context.emulated
            ? "The emulators' managed-identity endpoint did not answer; run the command again, and if it persists, report it."
            : `No Azure credential could get a token: run \`az login\` (and \`az account set --subscription ${context.subscriptionId}\`), ` +
              "or set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET for a service principal.",
        ],
      };
    case "forbidden":
      return { exitCode: EXIT.usage, hints: [forbiddenHint(detail, context)] };
    case "secretUnavailable":
      return { exitCode: EXIT.failed, hints: context.emulated ? [missingSecretHint(context)] : [] };
    default:
      return { exitCode: EXIT.failed, hints: [] };
  }
}

/** docs/deploy.md "Permission model": the role the refused call needs, on the scope it needs it. */
function forbiddenHint(detail: string, context: OutcomeContext): string {
  const who = context.emulated ? "The identity" : "Your identity (`az account show`, or the service principal in AZURE_CLIENT_ID)";
  if (/key ?vault|vault\.azure\.net|secrets?\/get/iu.test(detail)) {
    return (
      `${who} may not read the job's secrets: it needs Key Vault Secrets User on the vault ${context.keyVaultUri ?? "in KEY_VAULT_URI"} ` +
      "(docs/deploy.md#permission-model)."
    );
  }
  return (
    `${who} may not manage container groups in resource group ${context.resourceGroup}: it needs the "aci-jobs container group runner" ` +
    `role (or Azure Container Instances Contributor) on /subscriptions/${context.subscriptionId}/resourceGroups/${context.resourceGroup} ` +
    "(docs/deploy.md#permission-model)."
  );
}

function missingSecretHint(context: OutcomeContext): string {
  const names = context.missingSecrets.length > 0 ? context.missingSecrets : ["<name>"];
  return `The emulated Key Vault holds only the secrets given with --secret: add ${names.map((name) => `--secret ${name}=<value>`).join(" ")} to the command.`;
}
