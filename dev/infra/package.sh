#!/usr/bin/env bash
# shellcheck disable=SC2016 # the single-quoted `node -e` programs use JavaScript template literals
# Builds the deployment package of the Function App into a staging folder, .tools/publish/ (gitignored):
#
#   .tools/publish/
#     dist/src/**/*.js      the compiled app (npm run build), without source maps
#     host.json             as in the repository
#     package.json          reduced to name, version, private, main, engines, dependencies (+ type if set):
#                           no scripts (nothing may build there) and no devDependencies
#     package-lock.json     as in the repository
#     node_modules/         PRODUCTION dependencies only: npm ci --omit=dev --ignore-scripts
#     .funcignore           excludes nothing that ships (azd and func read it; see the file)
#     local.settings.json   only FUNCTIONS_WORKER_RUNTIME=node, so `func ... publish` knows the language;
#                           never uploaded (.funcignore, and azd skips it for Function Apps)
#
# The folder is what azd (azure.yaml: project ./.tools/publish, remoteBuild: false), `func azure functionapp
# publish --build local` and the deploy workflow upload as is. Local-only tools (azurite, tsx, vitest, eslint,
# typescript, ...) never ship. Before the folder replaces the previous one, the script loads its entry point
# with a stand-in for the Functions worker and checks that functions register and that every module comes
# from the folder itself (test/infra/package.test.ts checks the result in detail).
#
# Source maps: left out. The host starts Node without --enable-source-maps, so nothing would read them, and
# they point at src/**/*.ts, which is not deployed; tsc's output is not minified, so a stack trace in
# dist/src/*.js stays readable and maps one to one onto the TypeScript module of the same name.
#
# Usage: bash dev/infra/package.sh [--if-changed]        (or: npm run package [-- --if-changed])
#   --if-changed   do nothing when the folder was built from the same inputs (src/, tsconfig.json, host.json,
#                  package.json, package-lock.json, this script, node and npm versions). azd's prepackage and
#                  predeploy hooks use it: `azd up` runs both, and the second must not rebuild a folder that
#                  azd may be zipping at that moment.
# Needs: bash (Linux or macOS), Node.js 22 and npm; runs `npm ci` in the repository first if TypeScript is
# not installed there.
# Runs are serialized with a lock directory, so concurrent runs (azd hooks, the test) wait for each other.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

stage_rel=".tools/publish"
stage="$root/$stage_rel"
work="$root/.tools/publish.tmp"    # built here, then renamed, so a failed run never leaves a half folder
stamp="$root/.tools/publish.stamp" # fingerprint of the inputs of the folder in place (outside it: not shipped)
lock="$root/.tools/publish.lock"

log() { printf 'package.sh: %s\n' "$*" >&2; }

if_changed=0
for arg in "$@"; do
  case "$arg" in
    --if-changed) if_changed=1 ;;
    -h | --help)
      sed -n '3,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      log "unknown argument: $arg (usage: bash dev/infra/package.sh [--if-changed])"
      exit 2
      ;;
  esac
done

command -v node >/dev/null 2>&1 || { log "node is not on PATH (Node.js 22 is required)"; exit 2; }
command -v npm >/dev/null 2>&1 || { log "npm is not on PATH"; exit 2; }
# The Function App runs Node 22 (infra/app/api.bicep, functionAppConfig.runtime.version): build and check the
# package with the same major version, so that what loads here is what loads there.
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || true)"
if [[ "$node_major" != "22" ]]; then
  log "Node.js 22 is required, as in the Function App; this is $(node --version 2>/dev/null || echo 'an unknown version'). Install Node 22 (e.g. \`nvm install 22\`), or put it first on PATH: npm install --prefix .tools/node22 --no-save node@22 && export PATH=\"\$PWD/.tools/node22/node_modules/node/bin:\$PATH\""
  exit 2
fi

# One run at a time: mkdir is atomic on every file system and needs no flock (absent on macOS). A lock left
# by a process that no longer exists is taken over.
mkdir -p "$root/.tools"
waited=0
until mkdir "$lock" 2>/dev/null; do
  holder="$(cat "$lock/pid" 2>/dev/null || true)"
  if [[ -n "$holder" ]] && ! kill -0 "$holder" 2>/dev/null; then
    log "removing a stale lock left by process $holder"
    rm -rf "$lock"
    continue
  fi
  if ((waited == 0)); then log "another package.sh run is in progress; waiting for it"; fi
  if ((waited >= 600)); then
    log "gave up waiting for $lock after 10 minutes; remove it if no package.sh is running"
    exit 1
  fi
  sleep 1
  waited=$((waited + 1))
done
echo "$$" >"$lock/pid"
trap 'rm -rf "$work" "$lock"' EXIT

# Prints the size of a path in MB (du -k is POSIX, so it means the same on Linux and macOS).
size_mb() { du -sk "$1/" | awk '{ printf "%.1f MB", $1 / 1024 }'; }

report() {
  local packages
  packages="$(node -p 'Object.keys(require(process.argv[1]).packages).length' "$stage/node_modules/.package-lock.json")"
  echo "Staged package: $stage_rel"
  echo "  total         $(size_mb "$stage")"
  echo "  dist/src      $(size_mb "$stage/dist/src") ($(find "$stage/dist/src" -name '*.js' | grep -c .) .js files)"
  echo "  node_modules  $(size_mb "$stage/node_modules") (production dependencies only, $packages packages)"
  if [[ -d node_modules ]]; then
    echo "  (the repository's node_modules, with the development tools: $(size_mb node_modules))"
  fi
}

# sha256 over everything the folder is made from (Node's crypto: no sha256sum/shasum differences).
fingerprint() {
  NPM_VERSION="$(npm --version)" node -e '
    const fs = require("node:fs"), path = require("node:path"), crypto = require("node:crypto");
    const hash = crypto.createHash("sha256");
    hash.update(`node ${process.version} npm ${process.env.NPM_VERSION}\n`);
    const files = ["dev/infra/package.sh", "package.json", "package-lock.json", "host.json", "tsconfig.json"];
    const walk = (dir) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.posix.join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (entry.isFile()) files.push(p);
      }
    };
    walk("src");
    for (const file of files.sort()) {
      hash.update(`${file}\0`);
      hash.update(fs.readFileSync(file));
      hash.update("\0");
    }
    process.stdout.write(hash.digest("hex"));
  '
}

current="$(fingerprint)"
if [[ $if_changed -eq 1 && -f "$stamp" && "$(cat "$stamp")" == "$current" &&
  -f "$stage/package.json" && -f "$stage/node_modules/.package-lock.json" ]]; then
  log "up to date (same inputs as the folder in place); nothing rebuilt"
  report
  exit 0
fi

# The build needs the repository's own devDependencies (TypeScript). On a fresh clone (azd up right after
# git clone) install them, as azd used to do for this project: they stay local and never ship.
if [[ ! -x node_modules/.bin/tsc ]]; then
  log "TypeScript is not installed in the repository; installing its dependencies first (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

rm -f "$stamp"

# 1. A clean build: a file deleted from src/ must not survive in dist/ and be deployed.
log "building (npm run build into a clean dist/)"
rm -rf dist
npm run build --silent

main="$(node -p 'require("./package.json").main')"
case "$main" in
  dist/src/*) ;;
  *)
    log "package.json main is '$main'; this script stages dist/src/ only"
    exit 1
    ;;
esac
[[ -f "$main" ]] || { log "the build did not produce $main (package.json main)"; exit 1; }

# 2. The folder: compiled JavaScript, host.json, a reduced package.json, the lock file.
rm -rf "$work"
mkdir -p "$work/dist"
cp -R dist/src "$work/dist/src"
find "$work/dist" -name '*.map' -type f -delete
cp host.json package-lock.json "$work/"
# A project .npmrc (private registry, auth via environment) must apply to the install below as well.
if [[ -f .npmrc ]]; then cp .npmrc "$work/"; fi

node -e '
  const fs = require("node:fs");
  const root = JSON.parse(fs.readFileSync("package.json", "utf8"));
  const staged = { name: root.name, version: root.version, private: true };
  if (root.type !== undefined) staged.type = root.type; // decides how Node loads dist/**/*.js
  Object.assign(staged, { main: root.main, engines: root.engines, dependencies: root.dependencies });
  fs.writeFileSync(process.argv[1], JSON.stringify(staged, null, 2) + "\n");
' "$work/package.json"

cat >"$work/.funcignore" <<'EOF'
# Staged deployment package, generated by dev/infra/package.sh: everything in this folder ships, built
# locally (azd: remoteBuild: false; func: --build local). node_modules holds production dependencies only
# and must NOT be listed here: azd refuses `remoteBuild: false` when this file excludes node_modules.
# local.settings.json only tells `func` the language (FUNCTIONS_WORKER_RUNTIME=node); it is never uploaded.
local.settings.json
EOF

cat >"$work/local.settings.json" <<'EOF'
{
  "IsEncrypted": false,
  "Values": {
    "FUNCTIONS_WORKER_RUNTIME": "node"
  }
}
EOF

# 3. Production dependencies only, exactly as locked. --ignore-scripts: no dependency runs install scripts
# (none of the production ones has any; this keeps it that way).
log "installing production dependencies (npm ci --omit=dev --ignore-scripts)"
# --prefer-offline: the repository's own `npm ci` has just put every tarball in npm's cache, and the lock
# file's integrity hashes make the cached copies exactly the locked ones.
(cd "$work" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error)
# Links to dependencies' command-line tools (node_modules/.bin, also nested ones): the host never runs them,
# and symlinks are the one thing zip tools disagree about.
find "$work/node_modules" -type d -name .bin -prune -exec rm -rf {} +

# 4. Smoke check: load the entry point the way the host would, with a stand-in for the worker's
# @azure/functions-core, and refuse to stage a folder that registers nothing. A module that is not in the
# folder fails to resolve, as it would in Azure: Node would otherwise find it in the repository's
# node_modules, one directory further up. (Optional requires, such as debug's supports-color, are caught by
# the package that makes them, here as there.)
log "checking that the staged app loads from its own node_modules"
smoke="$(
  cd "$work" && env -u NODE_PATH -u NODE_OPTIONS \
    AZURE_SUBSCRIPTION_ID=00000000-0000-0000-0000-000000000000 ACI_RESOURCE_GROUP=rg-package-check \
    ACI_REGION=eastus AzureWebJobsStorage=UseDevelopmentStorage=true \
    node "$root/dev/infra/loadStagedApp.cjs" --block-outside 2>&1
)" || {
  printf '%s\n' "$smoke" >&2
  log "the staged app failed to load"
  exit 1
}
result="$(printf '%s\n' "$smoke" | sed -n 's/^@@staged-app //p' | tail -n 1)"
if [[ -z "$result" ]]; then
  printf '%s\n' "$smoke" >&2
  log "the staged app did not finish loading"
  exit 1
fi
check="$(node -e '
  const { registered: names, outside: blocked } = JSON.parse(process.argv[1]);
  if (names.length === 0) { console.log("no function registered"); process.exit(1); }
  const note = blocked.length > 0 ? ` (optional modules absent, as in Azure: ${blocked.join(", ")})` : "";
  console.log(`${names.length} functions registered: ${names.join(", ")}${note}`);
' "$result")" || {
  log "$check"
  exit 1
}
log "$check"

# 5. Replace the previous folder and record what it was built from.
rm -rf "$stage"
mv "$work" "$stage"
printf '%s' "$current" >"$stamp"
report
