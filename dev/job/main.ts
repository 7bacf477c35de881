/**
 * `npm run job -- <job> [--override '<json>'] [--secret name=value ...] [--image-behaviour '<spec>' ...]`:
 * one run of a job in this process, like `airflow dags test`. With AZURE_SUBSCRIPTION_ID set it runs
 * against Azure (your `az login` identity, the vault in KEY_VAULT_URI; durable timers wait in real time);
 * otherwise on the embedded ACI and Key Vault emulators in virtual time, the vault holding the `--secret`
 * values and the emulator running its built-in images plus those given an `--image-behaviour`. It streams
 * the container's log and each failed activity try, ends with a one-line summary (and a hint when the
 * cause is yours to fix), and exits 0 (succeeded), 1 (failed) or 2 (bad usage or configuration, Azure
 * credentials included); `--help` lists the jobs. Like `airflow dags test`, it ignores the job's
 * active-run limit. The work is in ./runJobCommand.
 */
import { EXIT } from "./parseCommandLine";
import { runJobCommand } from "./runJobCommand";

runJobCommand(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(EXIT.failed);
  },
);
