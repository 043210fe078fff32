#!/usr/bin/env bash
# The whole test suite, as CI runs it: fetch the pinned deps (npm), then build and test every module.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/native/jdk.sh"
JAVA_HOME="$(find_jdk)"; export JAVA_HOME
# Maven itself (guava) trips JDK 25's sun.misc.Unsafe warning; the JDK here is always >= 25.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
"$here/native/fetch-deps.sh"
# The interactive-chat test drives `r1 run` in a real pty through tmux; gcc builds the struct-layout probe
# and the CUDA arithmetic header for the host; g++ the CUDA emulator. Each is its own Debian package.
for tool in tmux gcc g++; do
  command -v "$tool" >/dev/null || { [ "$(id -u)" = 0 ] && { apt-get update -q >/dev/null; apt-get install -y -q "$tool" >/dev/null; }; } \
    || { echo "test.sh: $tool is needed (apt-get install $tool)" >&2; exit 1; }
done
cd "$here" && exec mvn -B -ntp verify "$@"
