// Checks the azd side of the deployment against itself: azure.yaml (minimum azd version, hooks), the hook
// scripts in dev/infra/azd/ (run with stand-ins for azd, npm, curl and sleep on a PATH of their own),
// infra/main.parameters.json, the deploy workflow and docs/deploy.md. Needs no Bicep CLI and no Azure.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

/**
 * The minimum azd: the later of 1.18.0 (.funcignore support, so node_modules ships; Azure/azure-dev PR #5383)
 * and 1.23.5 (the `remoteBuild` property for Flex Consumption; PR #6748), per cli/azd/CHANGELOG.md.
 */
const MIN_AZD = "1.23.5";

const WORKFLOW = ".github/workflows/azure-dev.yml";

/** Sections of docs/deploy.md the lead maintains; this test neither requires nor forbids anything in them. */
const LEAD_SECTIONS = ["## Deploy by hand (`az deployment` + `func publish`)", "## Publishing: a staged local build, and why"];

/** docs/deploy.md split at its `## ` headings: heading line -> section text. */
function docSections(): Map<string, string> {
  const parts = read("docs/deploy.md").split(/^(?=## )/mu);
  return new Map(parts.map((part) => [part.split("\n", 1)[0]!, part]));
}

function docSection(heading: string): string {
  const section = docSections().get(heading);
  expect(section, `docs/deploy.md has a section "${heading}"`).toBeDefined();
  return section!;
}

/** The `run:` line of each hook in azure.yaml's top-level `hooks:` block. */
function hooks(): Record<string, string> {
  const block = /^hooks:\n((?:[ \t]+.*\n|\n)*)/mu.exec(read("azure.yaml"))?.[1] ?? "";
  const result: Record<string, string> = {};
  let current = "";
  for (const line of block.split("\n")) {
    const name = /^ {2}(\w+):\s*$/u.exec(line);
    if (name) current = name[1]!;
    const run = /^ {4}run:\s*(.+)$/u.exec(line);
    if (run && current) result[current] = run[1]!.trim();
    const shell = /^ {4}shell:\s*(.+)$/u.exec(line);
    if (shell && current) expect(shell[1]!.trim(), `hook ${current} runs with sh`).toBe("sh");
  }
  return result;
}

// ---- a sandbox PATH with stand-ins ---------------------------------------------------------------------

const sandboxes: string[] = [];
afterEach(() => {
  for (const dir of sandboxes.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const SH = spawnSync("sh", ["-c", "command -v sh"], { encoding: "utf8" }).stdout.trim();
const realSleep = spawnSync("sh", ["-c", "command -v sleep"], { encoding: "utf8" }).stdout.trim();

/** A directory holding links to the real tools the scripts use, plus the given stand-in scripts, and a log dir. */
function sandbox(fakes: Record<string, string>): { bin: string; log: string; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "aci-jobs-azd-"));
  sandboxes.push(dir);
  const bin = path.join(dir, "bin");
  const log = path.join(dir, "log");
  mkdirSync(bin);
  mkdirSync(log);
  for (const tool of ["sh", "sed", "head", "tail", "tr", "cat", "mktemp", "rm", "dirname"]) {
    if (tool in fakes) continue;
    const real = spawnSync(SH, ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    if (!real) throw new Error(`this machine has no ${tool}`);
    symlinkSync(real, path.join(bin, tool));
  }
  for (const [name, body] of Object.entries(fakes)) {
    const file = path.join(bin, name);
    writeFileSync(file, `#!${SH}\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return { bin, log, dir };
}

function run(script: string, bin: string, env: Record<string, string> = {}) {
  const result = spawnSync(SH, [path.join(ROOT, script)], {
    cwd: ROOT,
    encoding: "utf8",
    env: { PATH: bin, HOME: path.dirname(bin), ...env },
    timeout: 20_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** `azd version --output json` as azd prints it (Azure/azure-dev, cli/azd/pkg/contracts/version.go). */
const fakeAzd = (version: string) => `
if [ "$1" = version ] && [ "$2" = --output ] && [ "$3" = json ]; then
  printf '{\\n  "azd": {\\n    "version": "%s",\\n    "commit": "0123abc"\\n  }\\n}\\n' '${version}'
  exit 0
fi
if [ "$1" = version ]; then echo 'azd version ${version} (commit 0123abc)'; exit 0; fi
echo "fake azd: unexpected $*" >&2; exit 3`;

// ---- minimum azd version -------------------------------------------------------------------------------

describe("minimum azd version", () => {
  it("is declared in azure.yaml (requiredVersions), in the hook script and in the docs' prerequisites", () => {
    expect(read("azure.yaml")).toMatch(new RegExp(`^requiredVersions:\\n\\s+azd:\\s*">= ${MIN_AZD.replaceAll(".", "\\.")}"\\s*$`, "mu"));
    expect(read("dev/infra/azd/require-version.sh")).toMatch(new RegExp(`^MIN_AZD_VERSION=${MIN_AZD.replaceAll(".", "\\.")}$`, "mu"));
    const prerequisites = docSection("## Prerequisites");
    expect(prerequisites).toContain(`**${MIN_AZD} or later**`);
    expect(prerequisites).toContain("requiredVersions");
  });

  it.each([
    ["1.17.2", 1],
    ["1.18.0", 1],
    ["1.23.4", 1],
    ["0.9.0", 1],
    [MIN_AZD, 0],
    ["1.23.12", 0],
    ["1.24.0", 0],
    ["1.100.0", 0],
    ["2.0.0", 0],
    ["1.25.0-beta.1", 0],
    ["0.0.0-dev.0", 0], // a local build of azd, which azd itself exempts from requiredVersions
  ])("require-version.sh with azd %s exits %i", (version, status) => {
    const { bin } = sandbox({ azd: fakeAzd(version) });
    const result = run("dev/infra/azd/require-version.sh", bin);
    expect(result.status, result.output).toBe(status);
    if (status === 1) {
      expect(result.output).toContain(`needs azd ${MIN_AZD} or later, and this is azd ${version}`);
      expect(result.output).toContain("https://aka.ms/azure-dev/install");
      expect(result.output).toMatch(/winget upgrade|brew upgrade/u);
    }
  });

  it("require-version.sh lets a run go on, with a note, when it cannot tell the version", () => {
    const { bin } = sandbox({});
    const result = run("dev/infra/azd/require-version.sh", bin);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain(`not on PATH`);
    expect(result.output).toContain(MIN_AZD);
  });
});

// ---- hooks -----------------------------------------------------------------------------------------------

describe("azure.yaml hooks", () => {
  it("check the version before provisioning and before building the package, and wait after provisioning", () => {
    expect(hooks()).toEqual({
      preprovision: "sh dev/infra/azd/require-version.sh",
      postprovision: "sh dev/infra/azd/wait-for-storage-access.sh",
      prepackage: "sh dev/infra/azd/package.sh",
      predeploy: "sh dev/infra/azd/package.sh",
    });
    for (const script of Object.values(hooks())) {
      expect(existsSync(path.join(ROOT, script.replace(/^sh /u, ""))), script).toBe(true);
    }
  });

  const fakeNpm = `printf '%s\\n' "$*" >> "$FAKE_LOG/npm"; exit "\${FAKE_NPM_STATUS:-0}"`;

  it("package.sh stops before building with a too-old azd", () => {
    const { bin, log } = sandbox({ azd: fakeAzd("1.20.0"), npm: fakeNpm });
    const result = run("dev/infra/azd/package.sh", bin, { FAKE_LOG: log });
    expect(result.status).toBe(1);
    expect(result.output).toContain(`needs azd ${MIN_AZD}`);
    expect(existsSync(path.join(log, "npm")), "npm did not run").toBe(false);
  });

  it("package.sh then runs `npm run package -- --if-changed` and returns its exit code", () => {
    const { bin, log } = sandbox({ azd: fakeAzd("1.24.1"), npm: fakeNpm });
    const ok = run("dev/infra/azd/package.sh", bin, { FAKE_LOG: log });
    expect(ok.status, ok.output).toBe(0);
    expect(readFileSync(path.join(log, "npm"), "utf8")).toBe("run package -- --if-changed\n");
    const failed = run("dev/infra/azd/package.sh", bin, { FAKE_LOG: log, FAKE_NPM_STATUS: "7" });
    expect(failed.status).toBe(7);
  });
});

// ---- postprovision: wait for role assignments ------------------------------------------------------------

describe("wait-for-storage-access.sh (postprovision)", () => {
  const TOKEN = "eyJ0eXAiOiJKV1QifQ.fake-storage-token.sig";
  const fakeTokenAzd = `
printf '%s\\n' "$*" >> "$FAKE_LOG/azd"
if [ "$1 $2" = "auth token" ]; then
  [ -n "\${FAKE_TOKEN_FAILS:-}" ] && { echo 'ERROR: not logged in, run azd auth login' >&2; exit 1; }
  printf '{"token":"${TOKEN}","expiresOn":"2030-01-01T00:00:00Z"}\\n'
  exit 0
fi
exit 3`;
  // Answers with the statuses listed in $FAKE_STATUSES, one per call, repeating the last.
  const fakeCurl = `
printf '%s\\n' "$*" >> "$FAKE_LOG/curl"
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift ;;
    -H) case "$2" in @*) cat "\${2#@}" >> "$FAKE_LOG/curl-headers" ;; esac; shift ;;
  esac
  shift
done
n=$(cat "$FAKE_LOG/n" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$FAKE_LOG/n"
status=$(printf '%s\\n' $FAKE_STATUSES | sed -n "\${n}p")
[ -n "$status" ] || status=$(printf '%s\\n' $FAKE_STATUSES | tail -n 1)
if [ "$status" = 403 ]; then
  printf '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code></Error>' > "$out"
else
  printf '<EnumerationResults/>' > "$out"
fi
printf '%s' "$status"`;
  const fakeSleep = `printf '%s\\n' "$1" >> "$FAKE_LOG/sleep"`;

  function setup(statuses: string, env: Record<string, string> = {}) {
    const box = sandbox({ azd: fakeTokenAzd, curl: fakeCurl, sleep: fakeSleep });
    const result = run("dev/infra/azd/wait-for-storage-access.sh", box.bin, {
      FAKE_LOG: box.log,
      FAKE_STATUSES: statuses,
      AZURE_DEPLOYER_DATA_ACCESS: "true",
      AZURE_STORAGE_BLOB_ENDPOINT: "https://stabc123.blob.core.windows.net/",
      AZURE_DEPLOYMENT_CONTAINER_NAME: "app-package-abc123",
      AZURE_TENANT_ID: "11111111-2222-3333-4444-555555555555",
      ...env,
    });
    const logged = (name: string) =>
      existsSync(path.join(box.log, name)) ? readFileSync(path.join(box.log, name), "utf8").trim().split("\n") : [];
    return { result, logged };
  }

  it("polls the deployment container as the deployer until storage stops answering 403", () => {
    const { result, logged } = setup("403 403 200");
    expect(result.status, result.output).toBe(0);
    expect(result.output.match(/waiting for the new role assignments/gu)).toHaveLength(2);
    expect(result.output).toContain("AuthorizationPermissionMismatch");
    expect(result.output).toContain("in effect after about 20s");
    expect(logged("sleep")).toEqual(["10", "10"]);
    // azd's own login, for storage, in the deployment's tenant.
    expect(logged("azd")).toEqual([
      "auth token --output json --scope https://storage.azure.com/.default --tenant-id 11111111-2222-3333-4444-555555555555",
    ]);
    const calls = logged("curl");
    expect(calls).toHaveLength(3);
    expect(calls[0]).toContain("https://stabc123.blob.core.windows.net/app-package-abc123?restype=container&comp=list&maxresults=1");
    // The token reaches curl in a header file, never on its command line.
    expect(calls.join("\n")).not.toContain(TOKEN);
    expect(logged("curl-headers")[0]).toBe(`Authorization: Bearer ${TOKEN}`);
  });

  it("gives up after the bounded wait with a clear message, without failing azd", () => {
    const { result, logged } = setup("403", { ACI_JOBS_RBAC_WAIT_SECONDS: "30", ACI_JOBS_RBAC_POLL_SECONDS: "10" });
    expect(result.status, result.output).toBe(0);
    expect(logged("curl")).toHaveLength(4);
    expect(result.output).toContain("gave up after 30s");
    expect(result.output).toContain("azd deploy");
  });

  it("stops waiting when it gets SIGTERM (or Ctrl-C's SIGINT), instead of polling on", async () => {
    const box = sandbox({ azd: fakeTokenAzd, curl: fakeCurl, sleep: `${fakeSleep}\nexec ${realSleep} 0.2` });
    const child = spawn(SH, [path.join(ROOT, "dev/infra/azd/wait-for-storage-access.sh")], {
      cwd: ROOT,
      env: {
        PATH: box.bin,
        HOME: box.dir,
        FAKE_LOG: box.log,
        FAKE_STATUSES: "403",
        AZURE_DEPLOYER_DATA_ACCESS: "true",
        AZURE_STORAGE_BLOB_ENDPOINT: "https://stabc123.blob.core.windows.net/",
        AZURE_DEPLOYMENT_CONTAINER_NAME: "app-package-abc123",
      },
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise((resolve) => setTimeout(resolve, 700));
    child.kill("SIGTERM");
    const timeout = new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 3_000));
    expect(await Promise.race([exited, timeout])).toBe(143);
    expect(readFileSync(path.join(box.log, "curl"), "utf8").trim().split("\n").length).toBeLessThan(10);
  });

  it("waits at most five minutes by default", () => {
    const { logged } = setup("403");
    expect(logged("sleep")).toHaveLength(30);
  });

  it("does not wait when it cannot check, and says why", () => {
    const off = setup("200", { AZURE_DEPLOYER_DATA_ACCESS: "false" });
    expect(off.result.status).toBe(0);
    expect(off.result.output).toContain("GRANT_DEPLOYER_DATA_ACCESS=false");
    expect(off.logged("curl")).toEqual([]);

    const noToken = setup("200", { FAKE_TOKEN_FAILS: "1" });
    expect(noToken.result.status).toBe(0);
    expect(noToken.result.output).toContain("not logged in");
    expect(noToken.logged("curl")).toEqual([]);
  });
});

// ---- parameters, workflow, docs --------------------------------------------------------------------------

/** parameter name -> the azd environment variable infra/main.parameters.json maps it from (and its default). */
function parameterMappings(): Record<string, { variable: string; fallback?: string }> {
  const file = JSON.parse(read("infra/main.parameters.json")) as { parameters: Record<string, { value: unknown }> };
  const result: Record<string, { variable: string; fallback?: string }> = {};
  for (const [name, { value }] of Object.entries(file.parameters)) {
    const match = /^\$\{(\w+)(?:=([^}]*))?\}$/u.exec(String(value));
    expect(match, `${name} maps one azd environment variable`).not.toBeNull();
    result[name] = { variable: match![1]!, ...(match![2] === undefined ? {} : { fallback: match![2] }) };
  }
  return result;
}

/** Variables azd fills in itself (Azure/azure-dev, cli/azd/pkg/infra/provisioning/bicep/bicep_provider.go). */
const FROM_AZD = new Set(["AZURE_PRINCIPAL_ID", "AZURE_PRINCIPAL_TYPE"]);

describe("infra/main.parameters.json", () => {
  it("maps the Key Vault operator's type and the deployer's access from azd environment variables", () => {
    expect(parameterMappings()).toMatchObject({
      vaultOperatorPrincipalId: { variable: "KEY_VAULT_OPERATOR_ID", fallback: "" },
      vaultOperatorPrincipalType: { variable: "KEY_VAULT_OPERATOR_TYPE", fallback: "User" },
      grantDeployerDataAccess: { variable: "GRANT_DEPLOYER_DATA_ACCESS", fallback: "true" },
      deployerPrincipalId: { variable: "AZURE_PRINCIPAL_ID" },
      deployerPrincipalType: { variable: "AZURE_PRINCIPAL_TYPE" },
    });
  });

  it("maps only parameters that infra/main.bicep declares", () => {
    const bicep = read("infra/main.bicep");
    for (const name of Object.keys(parameterMappings())) {
      expect(bicep, `param ${name}`).toMatch(new RegExp(`^param ${name} `, "mu"));
    }
  });
});

describe("the deploy workflow", () => {
  it("is .github/workflows/azure-dev.yml, the file `azd pipeline config` looks for", () => {
    // Azure/azure-dev, cli/azd/pkg/pipeline/pipeline.go: pipelineFileNames = azure-dev.yml, azure-dev.yaml.
    expect(existsSync(path.join(ROOT, WORKFLOW))).toBe(true);
    expect(existsSync(path.join(ROOT, ".github/workflows/deploy.yml"))).toBe(false);
    expect(existsSync(path.join(ROOT, ".github/workflows/azure-dev.yaml"))).toBe(false);
  });

  it("is referred to by its new name everywhere (the lead's sections of docs/deploy.md aside)", () => {
    const texts: [string, string][] = [
      ["README.md", read("README.md")],
      ["azure.yaml", read("azure.yaml")],
      [WORKFLOW, read(WORKFLOW)],
      [".github/workflows/ci.yml", read(".github/workflows/ci.yml")],
      ...[...docSections()].filter(([heading]) => !LEAD_SECTIONS.includes(heading)).map(
        ([heading, text]): [string, string] => [`docs/deploy.md ${heading}`, text],
      ),
    ];
    const stale = texts.filter(([, text]) => /workflows\/deploy\.ya?ml/u.test(text)).map(([where]) => where);
    expect(stale).toEqual([]);
    expect(read("docs/deploy.md")).toContain("`.github/workflows/azure-dev.yml`");
  });

  it("passes every variable the parameters file reads, and lists the optional ones", () => {
    const workflow = read(WORKFLOW);
    const actions = docSection("## Deploy from GitHub Actions");
    for (const { variable, fallback } of Object.values(parameterMappings())) {
      if (FROM_AZD.has(variable)) continue;
      expect(workflow, `${WORKFLOW} passes ${variable}`).toMatch(
        new RegExp(`^\\s+${variable}: \\$\\{\\{ vars\\.${variable}\\b`, "mu"),
      );
      if (fallback !== undefined) {
        expect(workflow.split("\nname:")[0], `${WORKFLOW}'s header lists ${variable}`).toContain(variable);
        expect(actions, `docs list the optional repository variable ${variable}`).toContain(`\`${variable}\``);
      }
    }
  });
});

describe("docs/deploy.md", () => {
  it("lists every optional azd setting in the azd table", () => {
    const azd = docSection("## Deploy with azd");
    for (const [parameter, { variable, fallback }] of Object.entries(parameterMappings())) {
      if (fallback === undefined) continue;
      expect(azd, `${variable} row`).toMatch(new RegExp(`^\\| \`${variable}\` \\| \`${parameter}\`: `, "mu"));
    }
  });

  it("documents the operator's type wherever it documents the operator", () => {
    for (const [heading, text] of docSections()) {
      if (LEAD_SECTIONS.includes(heading) || !text.includes("KEY_VAULT_OPERATOR_ID")) continue;
      expect(text, heading).toContain("KEY_VAULT_OPERATOR_TYPE");
    }
  });

  it("explains the wait for role propagation and what to do if the first deployment still gets a 403", () => {
    const azd = docSection("## Deploy with azd");
    expect(azd).toContain("dev/infra/azd/wait-for-storage-access.sh");
    expect(azd).toContain("BlobUploadFailedException");
    expect(azd).toContain("ACI_JOBS_RBAC_WAIT_SECONDS");
  });

  it("says that a job's subnet must be in the container group's subscription", () => {
    expect(docSection("## Grants a job may need that infra does not make")).toContain(
      "SubnetAndContainerGroupMustBeInSameSubscription",
    );
  });
});
