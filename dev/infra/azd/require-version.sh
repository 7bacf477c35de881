#!/bin/sh
# azd project hook (preprovision, and first step of prepackage/predeploy through package.sh): stops when the
# azd that runs this project is older than MIN_AZD_VERSION, naming the minimum and how to upgrade.
#
# Why 1.23.5 (both read in Azure/azure-dev, cli/azd/CHANGELOG.md and the tagged sources):
#   - azd before 1.18.0 zips a js Function App without node_modules whatever the project says: .funcignore
#     support came in 1.18.0 (PR #5383; pkg/project/project_utils.go), and our staged folder ships its
#     production node_modules.
#   - azd before 1.23.5 does not know the `remoteBuild` service property (PR #6748, "Add `remoteBuild` option for
#     Azure Functions flex consumption apps": ServiceConfig.RemoteBuild in pkg/project/service_config.go and
#     service_target_functionapp.go), and always asks Flex Consumption for a remote build of a js app.
# azure.yaml states the same minimum as `requiredVersions.azd`, which azd itself enforces when it loads the
# project (pkg/project/project.go), except for a locally built azd (0.0.0-dev.0), which this script lets pass
# too. Hooks get no azd version in their environment (pkg/ext/hooks_runner.go passes the azd environment's
# values), so the script asks `azd version --output json` ({"azd": {"version": "x.y.z", ...}},
# pkg/contracts/version.go).
#
# Usage: sh dev/infra/azd/require-version.sh     Exit codes: 0 new enough (or unknown), 1 too old.
set -eu

MIN_AZD_VERSION=1.23.5

say() { printf 'require-version.sh: %s\n' "$*" >&2; }

if ! command -v azd >/dev/null 2>&1; then
  say "azd is not on PATH, so its version cannot be checked (this project needs azd $MIN_AZD_VERSION or later); continuing."
  exit 0
fi

json="$(azd version --output json 2>/dev/null || true)"
version="$(printf '%s\n' "$json" | sed -n 's/.*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | head -n 1)"
if [ -z "$version" ]; then
  # Plain form: "azd version 1.23.5 (commit ...)".
  version="$(azd version 2>/dev/null | sed -n 's/^azd version \([0-9][^ ]*\).*/\1/p' | head -n 1 || true)"
fi
if [ -z "$version" ]; then
  say "could not read the azd version from \`azd version\`; this project needs azd $MIN_AZD_VERSION or later. Continuing."
  exit 0
fi

# A locally built azd reports 0.0.0-dev.0; azd skips requiredVersions for it, and so does this check.
case "$version" in
  0.0.0-dev*)
    say "azd $version is a development build; not checking the minimum version ($MIN_AZD_VERSION)."
    exit 0
    ;;
esac

# Compare major.minor.patch numerically; a pre-release or build suffix is ignored.
core="${version%%[-+]*}"
old_ifs="$IFS"
IFS=.
# shellcheck disable=SC2086 # split on dots on purpose
set -- $core 0 0 0
have_major="$1" have_minor="$2" have_patch="$3"
# shellcheck disable=SC2086
set -- $MIN_AZD_VERSION
need_major="$1" need_minor="$2" need_patch="$3"
IFS="$old_ifs"
for n in "$have_major" "$have_minor" "$have_patch"; do
  case "$n" in
    '' | *[!0-9]*)
      say "unexpected azd version '$version'; this project needs azd $MIN_AZD_VERSION or later. Continuing."
      exit 0
      ;;
  esac
done

too_old=0
if [ "$have_major" -ne "$need_major" ]; then
  [ "$have_major" -lt "$need_major" ] && too_old=1
elif [ "$have_minor" -ne "$need_minor" ]; then
  [ "$have_minor" -lt "$need_minor" ] && too_old=1
elif [ "$have_patch" -lt "$need_patch" ]; then
  too_old=1
fi

if [ "$too_old" -eq 1 ]; then
  cat >&2 <<MSG
ERROR: this project needs azd $MIN_AZD_VERSION or later, and this is azd $version.
  Older azd versions deploy the Function App without its node_modules (before 1.18.0), or ignore
  'remoteBuild: false' and build it remotely (before 1.23.5), so the app would not start as tested.
  Upgrade azd, then run the command again:
    Windows:  winget upgrade microsoft.azd
    macOS:    brew upgrade azd
    Linux:    curl -fsSL https://aka.ms/install-azd.sh | bash
  (all options: https://aka.ms/azure-dev/install). Check with: azd version
MSG
  exit 1
fi
exit 0
