/**
 * Proves that the staged deployment package (.tools/publish, built by dev/infra/package.sh) works on its own:
 * loaded with nothing but its own node_modules, its entry point registers every function, and no development
 * dependency or local-only file is in it. The package is what azd, `func ... --build local` and the deploy
 * workflow upload, so this is the check that the deployed app starts.
 *
 * The load runs in a child `node` on a copy of the folder outside the repository: Node looks for modules in
 * every node_modules from the file's directory upwards, so inside the repository a dependency missing from
 * the folder would quietly come from the repository's node_modules (with the development tools) instead of
 * failing as it would in Azure. The child also reports every module file it resolved outside the copy.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_FUNCTIONS } from "../support/appFunctions";

const ROOT = path.resolve(__dirname, "../..");
const STAGE = path.join(ROOT, ".tools/publish");
const SCRIPT = "dev/infra/package.sh";

/** The functions the host must receive (as in test/integration/registration.test.ts). */
const FUNCTIONS = APP_FUNCTIONS;

/** Loads a package folder as the Functions worker would, reporting registrations and outside modules. */
const LOAD_STAGED_APP = path.join(ROOT, "dev/infra/loadStagedApp.cjs");

interface LoadResult {
  registered: string[];
  outside: string[];
}

interface PackageJson {
  name?: string;
  version?: string;
  main?: string;
  type?: string;
  engines?: Record<string, string>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface PackageLock {
  packages: Record<string, { dev?: boolean }>;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;
const rootPackage = readJson<PackageJson>(path.join(ROOT, "package.json"));

let copyDir: string | undefined;
let loaded: LoadResult;

/** Every file under dir, relative to it, with "/" separators. */
function filesUnder(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    return entry.isDirectory() ? filesUnder(path.join(dir, entry.name), rel) : [rel];
  });
}

/** The environment of a child process: no NODE_OPTIONS/NODE_PATH from this test process or its runner. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  delete env.NODE_PATH;
  return env;
}

beforeAll(() => {
  // Build the folder, or confirm it matches the current sources (fast when `npm run package` just ran).
  const build = spawnSync("bash", [SCRIPT, "--if-changed"], { cwd: ROOT, encoding: "utf8", env: cleanEnv() });
  if (build.status !== 0) {
    throw new Error(
      `\`bash ${SCRIPT} --if-changed\` (npm run package) failed with exit code ${String(build.status)}; ` +
        `run \`npm run package\` to see why.\n${build.stderr}${build.stdout}`,
    );
  }
  if (!existsSync(path.join(STAGE, "package.json"))) {
    throw new Error(`No staged package at ${path.relative(ROOT, STAGE)}; run \`npm run package\` (bash ${SCRIPT}).`);
  }

  copyDir = mkdtempSync(path.join(os.tmpdir(), "aci-jobs-staged-"));
  for (let dir = copyDir; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "node_modules"))) {
      throw new Error(`${path.join(dir, "node_modules")} exists above ${copyDir}; the staged copy would not be isolated.`);
    }
    if (path.dirname(dir) === dir) break;
  }
  const app = path.join(copyDir, "app");
  cpSync(STAGE, app, { recursive: true, verbatimSymlinks: true });

  const child = spawnSync(process.execPath, [LOAD_STAGED_APP], {
    cwd: app,
    encoding: "utf8",
    timeout: 60_000,
    env: cleanEnv({
      HOME: copyDir, // Node also searches $HOME/.node_modules and $HOME/.node_libraries
      AZURE_SUBSCRIPTION_ID: "11111111-2222-3333-4444-555555555555",
      ACI_RESOURCE_GROUP: "rg-jobs",
      ACI_REGION: "westeurope",
      AzureWebJobsStorage: "UseDevelopmentStorage=true",
    }),
  });
  const line = child.stdout
    .split("\n")
    .filter((l) => l.startsWith("@@staged-app "))
    .at(-1);
  if (child.status !== 0 || line === undefined) {
    throw new Error(`The staged app failed to load (exit ${String(child.status)}):\n${child.stderr}${child.stdout}`);
  }
  loaded = JSON.parse(line.slice("@@staged-app ".length)) as LoadResult;
}, 180_000);

afterAll(() => {
  if (copyDir !== undefined) rmSync(copyDir, { recursive: true, force: true });
});

describe("the staged package, loaded on its own", () => {
  it("registers all the app's functions", () => {
    expect([...loaded.registered].sort()).toEqual([...FUNCTIONS].sort());
  });

  it("loads every module from its own folder, none from the repository or elsewhere", () => {
    expect(loaded.outside).toEqual([]);
  });
});

describe("what the staged package contains", () => {
  it("ships no development dependency", () => {
    const devDependencies = Object.keys(rootPackage.devDependencies ?? {});
    expect(devDependencies.length).toBeGreaterThan(0);
    const present = devDependencies.filter((name) => existsSync(path.join(STAGE, "node_modules", name)));
    expect(present, "devDependencies of package.json found in .tools/publish/node_modules").toEqual([]);

    // Nor anything the lock file marks as needed only for development (their own dependencies included).
    const lock = readJson<PackageLock>(path.join(ROOT, "package-lock.json"));
    const devOnly = Object.entries(lock.packages)
      .filter(([key, entry]) => key !== "" && entry.dev === true)
      .map(([key]) => key);
    expect(devOnly.length).toBeGreaterThan(0);
    expect(devOnly.filter((key) => existsSync(path.join(STAGE, key)))).toEqual([]);
  });

  it("contains no native binary, so it runs on Linux x64 whichever OS built it", () => {
    const native = filesUnder(STAGE).filter((file) => file.endsWith(".node"));
    expect(native, "native addons: build the package on Linux x64 (the deploy workflow does)").toEqual([]);
  });

  it("installs every production dependency", () => {
    const missing = Object.keys(rootPackage.dependencies ?? {}).filter(
      (name) => !existsSync(path.join(STAGE, "node_modules", name, "package.json")),
    );
    expect(missing).toEqual([]);
  });

  it("holds only the compiled app, host.json and the production manifest", () => {
    const allowed = new Set(["dist", "node_modules", "host.json", "package.json", "package-lock.json", ".funcignore", "local.settings.json", ".npmrc"]);
    expect(readdirSync(STAGE).filter((entry) => !allowed.has(entry))).toEqual([]);
    expect(readdirSync(path.join(STAGE, "dist"))).toEqual(["src"]);
    const distFiles = filesUnder(path.join(STAGE, "dist"));
    expect(distFiles.filter((file) => !file.endsWith(".js")), "only .js under dist (no .map, no .ts)").toEqual([]);
    expect(distFiles).toContain(rootPackage.main!.replace(/^dist\//u, ""));
    expect(readFileSync(path.join(STAGE, "host.json"), "utf8")).toBe(readFileSync(path.join(ROOT, "host.json"), "utf8"));
    expect(statSync(path.join(STAGE, "node_modules")).isDirectory()).toBe(true);
  });

  it("has a package.json the host can start from and nothing can build in", () => {
    const staged = readJson<PackageJson>(path.join(STAGE, "package.json"));
    expect(staged.scripts, "no scripts: azd runs `npm run build --if-present` in the project folder").toBeUndefined();
    expect(staged.devDependencies).toBeUndefined();
    expect(staged).toMatchObject({
      name: rootPackage.name,
      version: rootPackage.version,
      main: rootPackage.main,
      engines: rootPackage.engines,
      dependencies: rootPackage.dependencies,
    });
    expect(staged.type).toBe(rootPackage.type);
  });
});

describe("deployment settings agree with the staged package", () => {
  const patterns = (file: string) =>
    readFileSync(file, "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));

  it("azure.yaml deploys .tools/publish as built, without a remote build", () => {
    const azureYaml = readFileSync(path.join(ROOT, "azure.yaml"), "utf8");
    expect(azureYaml).toMatch(/^\s+project: \.\/\.tools\/publish\s*$/mu);
    expect(azureYaml).toMatch(/^\s+remoteBuild: false\s*$/mu);
  });

  it("the staged .funcignore keeps node_modules (azd refuses remoteBuild: false otherwise) and what ships", () => {
    const ignored = patterns(path.join(STAGE, ".funcignore"));
    expect(ignored.filter((p) => /node_modules|dist|host\.json|package/u.test(p))).toEqual([]);
  });
});

describe("npm run package on another Node version", () => {
  it("stops before building, naming Node 22 and how to get it", () => {
    const fakeBin = mkdtempSync(path.join(os.tmpdir(), "aci-jobs-node20-"));
    try {
      writeFileSync(path.join(fakeBin, "node"), '#!/bin/sh\nif [ "$1" = "-p" ]; then echo 20; else echo v20.19.0; fi\n', { mode: 0o755 });
      const run = spawnSync("bash", [SCRIPT], { cwd: ROOT, encoding: "utf8", env: cleanEnv({ PATH: `${fakeBin}:${process.env.PATH ?? ""}` }) });
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/Node\.js 22 is required, as in the Function App; this is v20\.19\.0\. Install Node 22/u);
    } finally {
      rmSync(fakeBin, { recursive: true, force: true });
    }
  });
});
