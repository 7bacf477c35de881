#!/bin/sh
# azd project hook for prepackage and predeploy (azure.yaml): checks the azd version (require-version.sh),
# then builds the staged deployment package in .tools/publish with `npm run package -- --if-changed`
# (dev/infra/package.sh; a no-op when the folder in place is up to date). azure.yaml explains why these are
# project hooks and why --if-changed.
set -eu
here="$(dirname "$0")"
sh "$here/require-version.sh"
exec npm run package -- --if-changed
