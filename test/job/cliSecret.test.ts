/**
 * `npm run job` with a job whose Key Vault secret was not given with `--secret` (issue 10, item 9): the
 * run fails as it would in Azure, Key Vault's message is printed once (not by the activity, the
 * orchestration's closing line and the summary), and a hint names the `--secret` to add.
 */
import { describe, expect, it } from "vitest";
import { runJobCommand } from "../../dev/job/runJobCommand";

const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

describe("a job whose Key Vault secret was not given with --secret", () => {
  const withSecret = JSON.stringify({ container: { environment: { DB_PASSWORD: { keyVaultSecret: "db-password" } } } });

  it("prints Key Vault's message once and suggests --secret", async () => {
    const lines: string[] = [];
    const code = await runJobCommand(["azure_container_instances", "--override", withSecret], { env: {}, out: (line) => lines.push(line), err: (line) => lines.push(line) });
    const text = lines.join("\n");
    expect(code, text).toBe(1);
    expect(occurrences(text, "was not found in this key vault")).toBe(1);
    expect(lines.at(-2)).toMatch(/^✘ azure_container_instances failed, secretUnavailable .*nothing was created\. \(message above\)$/u);
    expect(lines.at(-1)).toBe("hint: The emulated Key Vault holds only the secrets given with --secret: add --secret db-password=<value> to the command.");
  });
});
