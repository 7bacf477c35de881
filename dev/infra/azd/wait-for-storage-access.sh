#!/bin/sh
# azd postprovision hook (azure.yaml): waits until the role assignments infra/app/rbac.bicep just made on the
# host storage account take effect, so that the first `azd deploy` does not fail with a 403 from storage
# (BlobUploadFailedException / AuthorizationPermissionMismatch) while they propagate.
#
# What it can check: the Flex Consumption platform writes the package to the deployment container with the
# app's identity, which nobody outside the app can sign in as. The deploying principal got Storage Blob Data
# Owner on the same account in the same deployment (grantDeployerDataAccess), so this script lists the
# deployment container as that principal, with azd's own login (`azd auth token`, the command that the
# Azure SDKs' AzureDeveloperCliCredential calls; Azure/azure-dev, cli/azd/cmd/auth_token.go), and polls until
# storage stops answering 403: a proxy for the app's assignments, made at the same moment on the same scope.
# The azd quickstart templates (Azure-Samples/functions-quickstart-typescript-azd,
# durable-functions-quickstart-typescript-azd) have no such hook; they leave the retry to the user.
#
# Reads the deployment outputs azd puts in the hook's environment: AZURE_STORAGE_BLOB_ENDPOINT,
# AZURE_DEPLOYMENT_CONTAINER_NAME, AZURE_DEPLOYER_DATA_ACCESS, AZURE_TENANT_ID (infra/main.bicep).
# Tuning: ACI_JOBS_RBAC_WAIT_SECONDS (default 300), ACI_JOBS_RBAC_POLL_SECONDS (default 10).
# It never fails the azd command: when it cannot check, or gives up, it says so and exits 0; the deployment
# then goes ahead and, if storage still refuses it, docs/deploy.md says what to do.
set -eu

timeout="${ACI_JOBS_RBAC_WAIT_SECONDS:-300}"
interval="${ACI_JOBS_RBAC_POLL_SECONDS:-10}"
retry_hint="If the deployment then fails with a 403 from storage (BlobUploadFailedException), wait a few minutes and run \`azd deploy\` again."

say() { printf 'wait-for-storage-access.sh: %s\n' "$*"; }

case "$timeout$interval" in
  *[!0-9]*)
    say "ACI_JOBS_RBAC_WAIT_SECONDS and ACI_JOBS_RBAC_POLL_SECONDS must be whole numbers of seconds; not waiting."
    exit 0
    ;;
esac
[ "$interval" -ge 1 ] || interval=1

if [ "${AZURE_DEPLOYER_DATA_ACCESS:-}" != "true" ]; then
  say "the deploying principal has no data access to the storage account (GRANT_DEPLOYER_DATA_ACCESS=false), so the propagation of the app's roles cannot be checked; not waiting. $retry_hint"
  exit 0
fi
endpoint="${AZURE_STORAGE_BLOB_ENDPOINT:-}"
container="${AZURE_DEPLOYMENT_CONTAINER_NAME:-}"
if [ -z "$endpoint" ] || [ -z "$container" ]; then
  say "AZURE_STORAGE_BLOB_ENDPOINT or AZURE_DEPLOYMENT_CONTAINER_NAME is not set (outputs of infra/main.bicep); not waiting. $retry_hint"
  exit 0
fi
if ! command -v curl >/dev/null 2>&1; then
  say "curl is not installed, so storage access cannot be checked; not waiting. $retry_hint"
  exit 0
fi

work="$(umask 077 && mktemp -d)"
# Cleanup on every exit; Ctrl-C or a SIGTERM ends the wait (a bare INT/TERM trap would let the loop go on).
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A token for Azure Storage as the principal azd is logged in as, in the deployment's tenant.
if [ -n "${AZURE_TENANT_ID:-}" ]; then
  azd auth token --output json --scope https://storage.azure.com/.default --tenant-id "$AZURE_TENANT_ID" >"$work/token.json" 2>"$work/token.err" || true
else
  azd auth token --output json --scope https://storage.azure.com/.default >"$work/token.json" 2>"$work/token.err" || true
fi
token="$(sed -n 's/.*"token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$work/token.json" | head -n 1)"
if [ -z "$token" ]; then
  say "could not get a storage token from \`azd auth token\` ($(head -c 300 "$work/token.err" | tr '\n' ' ')); not waiting. $retry_hint"
  exit 0
fi
# The token goes to curl in a file, not on its command line (where other users could read it).
printf 'Authorization: Bearer %s\n' "$token" >"$work/headers"

url="${endpoint%/}/$container?restype=container&comp=list&maxresults=1"
target="${endpoint%/}/$container"
elapsed=0
while :; do
  status="$(curl -sS --max-time 30 -o "$work/body" -w '%{http_code}' -H @"$work/headers" -H 'x-ms-version: 2023-11-03' "$url" 2>"$work/curl.err" || true)"
  [ -n "$status" ] || status=000
  code="$(sed -n 's/.*<Code>\([^<]*\)<\/Code>.*/\1/p' "$work/body" 2>/dev/null | head -n 1 || true)"
  case "$status" in
    200)
      if [ "$elapsed" -eq 0 ]; then
        say "storage access on $target is in effect."
      else
        say "storage access on $target is in effect after about ${elapsed}s."
      fi
      exit 0
      ;;
    403 | 404 | 000 | 5??)
      # 403: the role assignments have not propagated yet. 404, 000 (no answer), 5xx: a new account or
      # container not yet reachable everywhere. All of these pass with time.
      reason="HTTP $status${code:+ $code}"
      [ "$status" = 000 ] && reason="no answer ($(head -c 200 "$work/curl.err" | tr '\n' ' '))"
      ;;
    *)
      say "unexpected answer from storage, HTTP $status${code:+ $code}, when listing $target; not waiting. $retry_hint"
      exit 0
      ;;
  esac
  if [ "$elapsed" -ge "$timeout" ]; then
    say "gave up after ${elapsed}s: storage still refuses to list $target ($reason). The new role assignments have not taken effect yet. $retry_hint"
    exit 0
  fi
  say "waiting for the new role assignments to take effect on $target ($reason); ${elapsed}s of at most ${timeout}s ..."
  sleep "$interval"
  elapsed=$((elapsed + interval))
done
