/**
 * `func azure functionapp publish <app>` from the repository root deploys a working app: what the root
 * .funcignore lets through, chosen the way Core Tools chooses it (dev/infra/funcignore.ts), loads on its own
 * as the Functions worker would load it, with the production dependencies only.
 *
 * The project is assembled in a temporary folder outside the repository (the repository's own files, and
 * dist compiled there by the project's tsconfig), so that a module missing from the upload cannot quietly
 * resolve from the repository's node_modules.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { filesCoreToolsUploads, FuncIgnore, lockedPackages, productionAllowLines, stageUpload, withGeneratedBlock } from "../../dev/infra/funcignore";
import { APP_FUNCTIONS } from "../support/appFunctions";

const ROOT = path.resolve(__dirname, "../..");

/** Every regular file under dir (absolute paths), links not followed. */
function filesUnderRoot(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnderRoot(full) : entry.isFile() ? [full] : [];
  });
}
const FUNCIGNORE = readFileSync(path.join(ROOT, ".funcignore"), "utf8");

describe("Core Tools' .funcignore parser, as dev/infra/funcignore.ts reproduces it", () => {
  // The cases of Core Tools' own GitIgnoreParserTests.cs (test/Cli/Func.UnitTests/ParserTests).
  const sample = new FuncIgnore(
    [
      "# This is a comment in a .gitignore file!",
      "node_modules",
      "*.log",
      "nonexistent",
      "!/nonexistent/foo",
      "/baz",
      "foo/*.wat",
      "/test1",
      "test2",
      "othernonexistent/**/what",
      "!/othernonexistent/**/what/foo",
      "*.swp",
    ].join("\n"),
  );
  const noNegatives = new FuncIgnore("node_modules");

  it("accepts and denies what Core Tools does", () => {
    for (const accepted of ["test/index.js", "wat/test/index.js", "/othernonexistent/blah/adsasd/whatads", "/othernonexistent/blah/adsasd/what/foo", "test1File.wat", "nonexistent/foo", "nonexistent/foo/wat"]) {
      expect(sample.accepts(accepted), accepted).toBe(true);
    }
    for (const denied of ["test2", "test.swp", "node_modules/what.js", "foo/bar.wat", "othernonexistent/blah/what", "nonexistent", "nonexistent/bar", "test1"]) {
      expect(sample.denies(denied), denied).toBe(true);
    }
    expect(noNegatives.accepts("test/index.js")).toBe(true);
    expect(noNegatives.denies("node_modules")).toBe(true);
    expect(noNegatives.denies("node_modules/foo")).toBe(true);
  });

  it("anchors every pattern at the start and ends it at a word boundary, unlike git", () => {
    const parser = new FuncIgnore("*.map\nnode_modules/debug");
    expect(parser.denies("index.js.map")).toBe(true);
    expect(parser.accepts("dist/index.js.map"), "not anchored in git, anchored here").toBe(true);
    expect(parser.denies("node_modules/debug-fork/index.js"), "a longer name matches too").toBe(true);
    expect(parser.accepts("node_modules/debugger/index.js")).toBe(true);
  });
});

describe("the root .funcignore", () => {
  it("lists the production dependencies of package-lock.json (after `npm install <pkg>`: npm run funcignore -- --write)", () => {
    expect(withGeneratedBlock(FUNCIGNORE, productionAllowLines())).toBe(FUNCIGNORE);
  });

  it("lets through every file of every production package and no file of a development-only package", () => {
    const parser = new FuncIgnore(FUNCIGNORE);
    const uploaded = filesCoreToolsUploads(ROOT, parser).filter((file) => file.startsWith("node_modules/"));
    const { production, development } = lockedPackages();
    const packageOf = (file: string) => [...production, ...development].filter((folder) => file.startsWith(`${folder}/`)).sort((a, b) => b.length - a.length)[0];
    const developmentFiles = uploaded.filter((file) => development.includes(packageOf(file) ?? ""));
    expect(developmentFiles).toEqual([]);
    for (const folder of production) {
      expect(parser.accepts(`${folder}/package.json`), folder).toBe(true);
    }
    for (const folder of development) {
      expect(parser.denies(`${folder}/package.json`), folder).toBe(true);
    }
    // Every uploaded file under node_modules belongs to a production package (no .bin links, no lock copy).
    expect(uploaded.filter((file) => !production.includes(packageOf(file) ?? ""))).toEqual([]);
  });

  it("uploads nothing but host.json, package.json, dist/src and node_modules: no sources, no secrets, no tools", () => {
    const project = mkdtempSync(path.join(os.tmpdir(), "aci-jobs-funcignore-"));
    try {
      const put = (rel: string, text = "x") => {
        mkdirSync(path.dirname(path.join(project, rel)), { recursive: true });
        writeFileSync(path.join(project, rel), text);
      };
      put(".funcignore", FUNCIGNORE);
      for (const file of ["host.json", "package.json", "package-lock.json", "dist/src/index.js", "dist/src/aci/client.js", "node_modules/durable-functions/package.json"]) put(file);
      for (const file of [".env", "local.settings.json", "src/index.ts", "test/x.test.ts", "dev/job/main.ts", "docs/deploy.md", ".tools/publish/host.json", ".azure/dev/.env", "infra/main.bicep", ".vscode/settings.json", "node_modules/.bin/tsc", "node_modules/typescript/package.json", "node_modules/.package-lock.json", "emulator.pem"]) put(file);
      expect(filesCoreToolsUploads(project, new FuncIgnore(FUNCIGNORE))).toEqual([
        "dist/src/aci/client.js",
        "dist/src/index.js",
        "host.json",
        "node_modules/durable-functions/package.json",
        "package.json",
      ]);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

describe("func azure functionapp publish from the root, after npm ci && npm run build", () => {
  let project: string;
  let upload: string;
  let uploaded: string[];

  beforeAll(() => {
    const base = mkdtempSync(path.join(os.tmpdir(), "aci-jobs-func-publish-"));
    project = path.join(base, "project");
    upload = path.join(base, "upload");
    mkdirSync(project);
    for (const file of [".funcignore", "host.json", "package.json", "package-lock.json", "tsconfig.json", "local.settings.example.json"]) {
      copyFileSync(path.join(ROOT, file), path.join(project, file));
    }
    // The repository's node_modules as `npm ci` left it (development tools included), and its sources.
    symlinkSync(path.join(ROOT, "node_modules"), path.join(project, "node_modules"), "dir");
    symlinkSync(path.join(ROOT, "src"), path.join(project, "src"), "dir");
    const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
    const build = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project, encoding: "utf8" });
    expect(build.status, `npm run build failed:\n${build.stdout}${build.stderr}`).toBe(0);
    uploaded = stageUpload(project, upload);
  }, 120_000);

  afterAll(() => {
    if (project) rmSync(path.dirname(project), { recursive: true, force: true });
  });

  it("uploads the compiled entry point, host.json and package.json, and no source or local file", () => {
    const main = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { main: string }).main;
    expect(uploaded).toContain(main);
    expect(uploaded).toContain("host.json");
    expect(uploaded).toContain("package.json");
    expect(uploaded.filter((file) => !/^(?:host\.json|package\.json|dist\/src\/|node_modules\/)/u.test(file))).toEqual([]);
  });

  it("loads on its own as the Functions worker loads it and registers every function", () => {
    const run = spawnSync(process.execPath, [path.join(ROOT, "dev/infra/loadStagedApp.cjs"), "--block-outside"], {
      cwd: upload,
      encoding: "utf8",
      timeout: 60_000,
      // Only what the host would set; HOME too, as Node also looks in $HOME/.node_modules.
      env: {
        PATH: process.env.PATH ?? "",
        HOME: upload,
        FUNCTIONS_WORKER_RUNTIME: "node",
        AZURE_SUBSCRIPTION_ID: "11111111-2222-3333-4444-555555555555",
        ACI_RESOURCE_GROUP: "rg-jobs",
        ACI_REGION: "westeurope",
        AzureWebJobsStorage: "UseDevelopmentStorage=true",
      },
    });
    const report = /@@staged-app (.*)/u.exec(run.stdout);
    expect(report, `the upload did not load:\n${run.stdout}${run.stderr}`).not.toBeNull();
    const { registered, outside } = JSON.parse(report![1]!) as { registered: string[]; outside: string[] };
    expect(outside).toEqual([]);
    expect([...registered].sort()).toEqual([...APP_FUNCTIONS]);
  });

  it("gives docs/deploy.md and the README their figures: what is uploaded, against a full node_modules", () => {
    const docs = readFileSync(path.join(ROOT, "docs/deploy.md"), "utf8");
    const megabytes = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
    // Rounded so that a new source module does not make the docs wrong; a new dependency may.
    const count = (n: number) => `about ${(Math.round(n / 100) * 100).toLocaleString("en-US")}`;
    const bytes = uploaded.reduce((sum, file) => sum + statSync(path.join(upload, file)).size, 0);
    expect(docs).toContain(`| uploaded by \`func azure functionapp publish\` from the root | ${count(uploaded.length)} | ${megabytes(bytes)} |`);
    expect(readFileSync(path.join(ROOT, "README.md"), "utf8")).toContain(`its production dependencies (${megabytes(bytes)}, no development tools)`);
    const { production, development } = lockedPackages();
    const topLevel = production.filter((folder) => /^node_modules\/(?:@[^/]+\/)?[^/]+$/u.test(folder));
    expect(docs).toContain(`Production dependencies: ${production.length} packages (${topLevel.length} at the top of \`node_modules\`) of the lock file's ${production.length + development.length}.`);
    // A full node_modules varies a little (optional platform packages, tools' caches): the docs give it
    // rounded, for Linux x64 as CI has, and it must stay within 5% of what is here.
    if (process.platform === "linux" && process.arch === "x64") {
      const all = filesUnderRoot(path.join(ROOT, "node_modules"));
      const allBytes = all.reduce((sum, file) => sum + statSync(file).size, 0);
      const row = /development tools included \(Linux x64\) \| about ([\d,]+) \| about (\d+) MB \|/u.exec(docs);
      expect(row, "docs/deploy.md has the row of a full node_modules").not.toBeNull();
      expect(Math.abs(all.length / Number(row![1]!.replaceAll(",", "")) - 1)).toBeLessThan(0.05);
      expect(Math.abs(allBytes / 1e6 / Number(row![2]) - 1)).toBeLessThan(0.05);
    }
  });

  it("stays well under a full node_modules (production dependencies only)", () => {
    const bytes = uploaded.reduce((sum, file) => sum + statSync(path.join(upload, file)).size, 0);
    expect(bytes).toBeLessThan(200 * 1024 * 1024);
    expect(uploaded.some((file) => file.startsWith("node_modules/typescript/"))).toBe(false);
  });
});
