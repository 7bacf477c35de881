#!/usr/bin/env bash
# Compiles and lints the Bicep templates in infra/, with warnings treated as errors, and writes the compiled
# ARM template to .tools/infra/main.json, where test/infra/template.test.ts reads it.
#
# Which Bicep CLI it uses, in order:
#   1. $BICEP (a path to a bicep binary), if set;
#   2. `bicep` on PATH;
#   3. `az bicep` (the Azure CLI's managed copy), if `az bicep version` works;
#   4. the NuGet package Azure.Bicep.CommandLine.<rid> (the binary ships inside it), restored with `dotnet`
#      into .tools/bicep/ (gitignored) on first use and reused afterwards;
#   5. otherwise it says what to install and exits 2.
#
# Usage: bash dev/infra/bicep.sh            (from anywhere; paths are relative to the repository root)
# Environment: BICEP_VERSION (NuGet package version, default below), BICEP_USE_NUGET=1 (skip 2 and 3).
# Exit codes: 0 clean; 1 build/lint errors or warnings; 2 no Bicep CLI available.
set -euo pipefail

BICEP_VERSION="${BICEP_VERSION:-0.49.2}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

template="infra/main.bicep"
out_dir=".tools/infra"
out_file="$out_dir/main.json"
tools_dir=".tools/bicep"

log() { printf 'bicep.sh: %s\n' "$*" >&2; }

# Runtime identifier of the NuGet package for this machine (the packages are per OS and CPU).
nuget_rid() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=osx ;;
    MINGW* | MSYS* | CYGWIN*) os=win ;;
    *) return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) return 1 ;;
  esac
  if [[ "$os" == linux ]] && ldd --version 2>&1 | grep -qi musl; then os=linux-musl; fi
  printf '%s-%s\n' "$os" "$arch"
}

# Restores Azure.Bicep.CommandLine.<rid> with `dotnet restore` (a PackageDownload item in a throwaway project)
# into .tools/bicep/packages, then links .tools/bicep/bin/bicep to the binary inside it. Prints the path.
install_from_nuget() {
  local rid package pkg_dir exe bin work major
  rid="$(nuget_rid)" || {
    log "no Azure.Bicep.CommandLine package for $(uname -s)/$(uname -m)"
    return 1
  }
  package="Azure.Bicep.CommandLine.$rid"
  exe=bicep
  [[ "$rid" == win-* ]] && exe=bicep.exe
  pkg_dir="$tools_dir/packages/$(tr '[:upper:]' '[:lower:]' <<<"$package")/$BICEP_VERSION"
  bin="$pkg_dir/tools/$exe"
  if [[ ! -f "$bin" ]]; then
    log "installing $package $BICEP_VERSION from NuGet with dotnet restore (first run only) ..."
    major="$(dotnet --version | cut -d. -f1)"
    work="$(mktemp -d)"
    cat >"$work/bicep-download.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net${major}.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$package" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
EOF
    if ! DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
      dotnet restore "$work/bicep-download.csproj" --packages "$root/$tools_dir/packages" >"$work/restore.log" 2>&1; then
      cat "$work/restore.log" >&2
      rm -rf "$work"
      log "dotnet restore of $package $BICEP_VERSION failed"
      return 1
    fi
    rm -rf "$work"
    [[ -f "$bin" ]] || {
      log "the package did not contain tools/$exe"
      return 1
    }
  fi
  chmod +x "$bin"
  mkdir -p "$tools_dir/bin"
  ln -sf "$root/$bin" "$tools_dir/bin/$exe"
  printf '%s\n' "$root/$tools_dir/bin/$exe"
}

# Sets the global `bicep_cmd` array to the command that runs the Bicep CLI.
resolve_bicep() {
  if [[ -n "${BICEP:-}" ]]; then
    bicep_cmd=("$BICEP")
    bicep_source="\$BICEP"
    return 0
  fi
  if [[ "${BICEP_USE_NUGET:-0}" != 1 ]]; then
    if command -v bicep >/dev/null 2>&1; then
      bicep_cmd=(bicep)
      bicep_source="PATH"
      return 0
    fi
    if command -v az >/dev/null 2>&1 && az bicep version >/dev/null 2>&1; then
      bicep_cmd=(az bicep)
      bicep_source="Azure CLI"
      return 0
    fi
  fi
  if command -v dotnet >/dev/null 2>&1; then
    local path
    path="$(install_from_nuget)" || return 1
    bicep_cmd=("$path")
    bicep_source="NuGet"
    return 0
  fi
  cat >&2 <<'EOF'
bicep.sh: no Bicep CLI found. Install one of:
  - the Bicep CLI:   https://learn.microsoft.com/azure/azure-resource-manager/bicep/install
                     (or `brew install azure/bicep/bicep`, `winget install -e --id Microsoft.Bicep`)
  - the Azure CLI, then run `az bicep install`
  - the .NET SDK (8 or later); this script then restores the NuGet package Azure.Bicep.CommandLine.<os>-<arch>
EOF
  return 2
}

# Runs a Bicep CLI verb; `az bicep` takes the input file as --file.
run_bicep() {
  local verb="$1" file="$2"
  shift 2
  if [[ "${bicep_cmd[*]}" == "az bicep" ]]; then
    az bicep "$verb" --file "$file" "$@"
  else
    "${bicep_cmd[@]}" "$verb" "$file" "$@"
  fi
}

bicep_cmd=()
bicep_source=""
set +e
resolve_bicep
status=$?
set -e
if [[ $status -ne 0 ]]; then
  [[ $status -eq 2 ]] && exit 2
  log "could not install the Bicep CLI"
  exit 2
fi

# Each start of the Bicep CLI costs one to two seconds, so the NuGet copy (whose version is known and
# which supports `lint --pattern`) is not asked.
case "$bicep_source" in
  NuGet)
    version="Azure.Bicep.CommandLine $BICEP_VERSION"
    lint_pattern=1
    ;;
  "Azure CLI")
    version="$(az bicep version 2>&1 | head -n 1 || true)"
    lint_pattern=0
    ;;
  *)
    version="$("${bicep_cmd[@]}" --version 2>&1 | head -n 1 || true)"
    lint_pattern=0
    "${bicep_cmd[@]}" lint --help 2>&1 | grep -q -- '--pattern' && lint_pattern=1
    ;;
esac

mkdir -p "$out_dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Build main.bicep (and every module it references; the build runs the linter too), and lint every .bicep
# file under infra/ explicitly, in parallel. Bicep prints diagnostics on stderr and exits 0 for warnings,
# so the output is checked as well.
lint_all() {
  local rc=0 file
  if [[ $lint_pattern -eq 1 ]]; then
    # One process for all files (each start of the CLI costs one to two seconds).
    "${bicep_cmd[@]}" lint --pattern 'infra/**/*.bicep' || rc=$?
  else
    while IFS= read -r -d '' file; do
      run_bicep lint "$file" || rc=$?
    done < <(find infra -name '*.bicep' -print0 | sort -z)
  fi
  return "$rc"
}

set +e
lint_all >"$tmp/lint.log" 2>&1 &
lint_pid=$!
run_bicep build "$template" --outfile "$tmp/main.json" 2>"$tmp/build.log" >"$tmp/build.out"
build_rc=$?
wait "$lint_pid"
lint_rc=$?
set -e

# Diagnostics from several files repeat those of the modules they reference: print each once.
diagnostics="$(cat "$tmp/build.log" "$tmp/lint.log" | grep -E ' : (Error|Warning|Info) ' | sort -u || true)"
problems="$(grep -E ' : (Error|Warning) ' <<<"$diagnostics" || true)"

files="$(find infra -name '*.bicep' | wc -l | tr -d ' ')"
echo "Bicep CLI: ${bicep_cmd[*]} ($version, from $bicep_source)"
echo "Template:  $template ($files .bicep files linted with infra/bicepconfig.json)"
if [[ -n "$diagnostics" ]]; then
  echo "$diagnostics"
fi
if [[ $build_rc -ne 0 || $lint_rc -ne 0 || -n "$problems" ]]; then
  [[ -s "$tmp/build.out" ]] && cat "$tmp/build.out"
  count="$(grep -c . <<<"$problems" || true)"
  echo "FAILED: bicep build exit $build_rc, bicep lint exit $lint_rc, $count error/warning diagnostic(s) (warnings count as errors)."
  exit 1
fi
cp "$tmp/main.json" "$out_file"
echo "OK: compiled and linted with no warnings; compiled template written to $out_file"
