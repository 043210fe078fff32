#!/usr/bin/env bash
# The whole test suite, as CI runs it: fetch the pinned deps (npm), then build and test every module.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/native/jdk.sh"
JAVA_HOME="$(find_jdk)"; export JAVA_HOME
"$here/native/fetch-deps.sh"
cd "$here" && exec mvn -B -ntp verify "$@"
