#!/usr/bin/env bash
# Regenerates test/unit/jobs/fixtures/ncrontab-golden.json from cases.json with the real NCRONTAB library,
# once per version the Functions host may load (see README.md). Needs .NET 10; output goes to .tools/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
golden="$root/test/unit/jobs/fixtures/ncrontab-golden.json"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

rm -f "$golden"
for version in 3.3.0 3.3.2 3.4.0; do
  dotnet run --project "$here/NcrontabGolden.csproj" -c Release -p:NCrontabVersion="$version" -v q -clp:ErrorsOnly \
    -- "$here/cases.json" "$golden"
done
