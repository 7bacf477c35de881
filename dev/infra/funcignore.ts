/**
 * @module
 * What `func azure functionapp publish <app>` uploads when it is run from the repository root, computed the
 * way Azure Functions Core Tools computes it, and the generated part of the root `.funcignore`.
 *
 * Core Tools (Azure/azure-functions-core-tools, read at 3ee97a6, August 2026) zips a Node app as it is:
 * no build, and on Flex Consumption no remote build unless `--build remote` is passed
 * (`Actions/AzureActions/PublishFunctionAppAction.cs`, `Helpers/PublishHelper.cs` ResolveBuildOption). The
 * files are `FileSystemHelpers.GetLocalFiles`: every file under the root except the directories `.git` and
 * `.vscode` and the files `.funcignore`, `.gitignore`, `local.settings.json` and `project.lock.json`, at any
 * depth, filtered by `.funcignore` through `Common/GitIgnoreParser.cs`, a port of codemix/gitignore-parser.
 * That parser is not git: every pattern is anchored at the start of the relative path and ends at a word
 * boundary (`node_modules/debug` also matches `node_modules/debug-fork/x.js`), and a negation (`!`) wins over
 * every ignore pattern, wherever it stands. {@link FuncIgnore} reproduces it line for line.
 *
 * The root `.funcignore` is therefore an allow-list: `*` ignores everything, and negations let through
 * host.json, package.json, the compiled app (dist/src) and each PRODUCTION package in node_modules, listed
 * from package-lock.json between the markers below. Development-only packages (TypeScript, vitest, Azurite,
 * the emulators' tools) and anything else in the folder (a stray .env, the emulator's certificate) stay home.
 *
 * Usage: npm run funcignore [-- --check | --write | --list]
 *   --check  exit 1 when the generated block of .funcignore is out of date (after an `npm install <pkg>`)
 *   --write  rewrite the generated block from package-lock.json
 *   --list   print the files `func azure functionapp publish` would upload (Core Tools' own
 *            `--list-included-files` prints every file without applying .funcignore; its
 *            `--list-ignored-files` does apply it)
 */
import { copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
export const FUNCIGNORE_PATH = path.join(ROOT, ".funcignore");
export const BEGIN_MARKER = "# BEGIN production dependencies (generated from package-lock.json by `npm run funcignore -- --write`)";
export const END_MARKER = "# END production dependencies";

/** Core Tools' `GitIgnoreParser`: the same parsing, the same regular expressions, the same precedence. */
export class FuncIgnore {
  readonly #ignore: RegExp;
  readonly #unignore: RegExp;

  constructor(content: string) {
    const ignore: string[] = [];
    const unignore: string[] = [];
    for (const raw of content.split("\n")) {
      let line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      const negated = line.startsWith("!");
      if (negated) line = line.slice(1);
      if (line.startsWith("/")) line = line.slice(1);
      (negated ? unignore : ignore).push(line);
    }
    this.#ignore = FuncIgnore.#union(ignore);
    this.#unignore = FuncIgnore.#union(unignore);
  }

  /** True when the file (a path relative to the app root, "/" separated) is uploaded. */
  accepts(relativePath: string): boolean {
    const input = relativePath === "/" ? "" : relativePath;
    return this.#unignore.test(input) || !this.#ignore.test(input);
  }

  denies(relativePath: string): boolean {
    return !this.accepts(relativePath);
  }

  static #union(patterns: readonly string[]): RegExp {
    if (patterns.length === 0) return /$^/u;
    return new RegExp(`^((${patterns.map((p) => FuncIgnore.#toRegex(p)).join(")|(")}))\\b`);
  }

  static #toRegex(pattern: string): string {
    return pattern
      .replace(/[-[\]/{}()+?.\\^$|]/gu, "\\$&")
      .replaceAll("**", "(.+)")
      .replaceAll("*", "([^\\/]+)");
  }
}

const ALWAYS_SKIPPED_DIRECTORIES = [".git", ".vscode"];
const ALWAYS_SKIPPED_FILES = [".funcignore", ".gitignore", "local.settings.json", "project.lock.json"];
const sameName = (names: readonly string[], name: string) => names.some((n) => n.toLowerCase() === name.toLowerCase());

/**
 * The files Core Tools zips from `root` (relative, "/" separated), as `GetLocalFiles` walks them: symbolic
 * links are followed, as .NET's Directory.GetFiles / GetDirectories list them.
 */
export function filesCoreToolsUploads(root: string, funcignore: FuncIgnore): string[] {
  const files: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      const stats = entry.isSymbolicLink() ? statOrUndefined(full) : lstatSync(full);
      if (stats?.isDirectory()) {
        if (!sameName(ALWAYS_SKIPPED_DIRECTORIES, entry.name)) walk(full, rel);
      } else if (stats?.isFile() && !sameName(ALWAYS_SKIPPED_FILES, entry.name) && funcignore.accepts(rel)) {
        files.push(rel);
      }
    }
  };
  walk(root, "");
  return files.sort();
}

function statOrUndefined(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined; // a dangling link: .NET lists it, and the zip would fail; nothing we upload is one
  }
}

interface LockedPackage {
  readonly dev?: boolean;
  readonly devOptional?: boolean;
  readonly link?: boolean;
}

/** The installed package folders of package-lock.json, split into production and development-only. */
export function lockedPackages(lockFile = path.join(ROOT, "package-lock.json")): { production: string[]; development: string[] } {
  const lock = JSON.parse(readFileSync(lockFile, "utf8")) as { packages: Record<string, LockedPackage> };
  const production: string[] = [];
  const development: string[] = [];
  for (const [folder, pkg] of Object.entries(lock.packages)) {
    if (!folder.startsWith("node_modules/")) continue; // "" is the project itself
    // devOptional: needed by a production dependency on some platforms, so it ships.
    (pkg.dev === true ? development : production).push(folder);
  }
  return { production: production.sort(), development: development.sort() };
}

/** The nearest folder above `folder` that is itself a package folder of the lock file, if any. */
function parentPackage(folder: string, folders: ReadonlySet<string>): string | undefined {
  for (let at = folder.lastIndexOf("/node_modules/"); at > 0; at = folder.lastIndexOf("/node_modules/", at - 1)) {
    const parent = folder.slice(0, at);
    if (folders.has(parent)) return parent;
  }
  return undefined;
}

/**
 * The negations that let the production packages through: one per production package not inside another
 * one. A pattern also matches longer names (the parser's word boundary: `node_modules/ms` matches
 * `node_modules/ms-x`), so a name that would let a development package through gets a trailing "/".
 */
export function productionAllowLines(packages = lockedPackages()): string[] {
  const production = new Set(packages.production);
  const tops = packages.production.filter((folder) => {
    const parent = parentPackage(folder, new Set([...production, ...packages.development]));
    return parent === undefined || !production.has(parent);
  });
  return tops.map((folder) => {
    const probe = new FuncIgnore(`*\n!${folder}`);
    const leaksDevelopment = packages.development.some((dev) => probe.accepts(`${dev}/package.json`));
    return `!${folder}${leaksDevelopment ? "/" : ""}`;
  });
}

/** The .funcignore text with its generated block replaced by `lines`. */
export function withGeneratedBlock(funcignore: string, lines: readonly string[]): string {
  const begin = funcignore.indexOf(BEGIN_MARKER);
  const end = funcignore.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error(`${FUNCIGNORE_PATH} has no "${BEGIN_MARKER}" ... "${END_MARKER}" block`);
  return `${funcignore.slice(0, begin)}${BEGIN_MARKER}\n${lines.join("\n")}\n${funcignore.slice(end)}`;
}

/** Copies what Core Tools would upload into `target` (a stand-in for the zip Azure unpacks). */
export function stageUpload(root: string, target: string): string[] {
  const files = filesCoreToolsUploads(root, new FuncIgnore(readFileSync(path.join(root, ".funcignore"), "utf8")));
  for (const rel of files) {
    mkdirSync(path.dirname(path.join(target, rel)), { recursive: true });
    copyFileSync(path.join(root, rel), path.join(target, rel));
  }
  return files;
}

function main(args: readonly string[]): number {
  const current = readFileSync(FUNCIGNORE_PATH, "utf8");
  const expected = withGeneratedBlock(current, productionAllowLines());
  if (args.includes("--write")) {
    if (expected !== current) writeFileSync(FUNCIGNORE_PATH, expected);
    console.log(expected === current ? ".funcignore is up to date" : ".funcignore: production dependencies rewritten from package-lock.json");
    return 0;
  }
  if (args.includes("--list")) {
    for (const file of filesCoreToolsUploads(ROOT, new FuncIgnore(current))) console.log(file);
    return 0;
  }
  if (args.length === 0 || args.includes("--check")) {
    if (expected === current) return 0;
    console.error(".funcignore does not list the production dependencies of package-lock.json; run `npm run funcignore -- --write`");
    return 1;
  }
  console.error("usage: npm run funcignore [-- --check | --write | --list]");
  return 2;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
