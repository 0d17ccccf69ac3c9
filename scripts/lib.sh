# shellcheck shell=bash
# Shared helpers for scripts/*.sh. Source it (`source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"`); it defines
# functions and a few variables and changes nothing else.

# shellcheck disable=SC2034 # used by the scripts that source this file
ARGUS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Tag printed in front of every line, e.g. [argus setup].
ARGUS_LOG_TAG="${ARGUS_LOG_TAG:-argus}"
# 1: progress lines are not printed (warnings and errors still are).
ARGUS_QUIET="${ARGUS_QUIET:-0}"

# Node.js version the project needs (package.json engines).
ARGUS_NODE_MIN_MAJOR=20
ARGUS_NODE_MIN_MINOR=19

log() {
  [[ "$ARGUS_QUIET" == 1 ]] || printf '[%s] %s\n' "$ARGUS_LOG_TAG" "$*"
}

# Printed even with --quiet.
say() {
  printf '[%s] %s\n' "$ARGUS_LOG_TAG" "$*"
}

warn() {
  printf '[%s] warning: %s\n' "$ARGUS_LOG_TAG" "$*" >&2
}

die() {
  printf '[%s] error: %s\n' "$ARGUS_LOG_TAG" "$*" >&2
  exit 1
}

have() {
  command -v "$1" >/dev/null 2>&1
}

# Run a command as root: directly when root, else through sudo (non-interactive when there is no terminal).
# Returns 127 when neither is possible.
as_root() {
  if [[ "$(id -u)" == 0 ]]; then
    "$@"
  elif have sudo; then
    if [[ -t 0 ]]; then sudo "$@"; else sudo -n "$@"; fi
  else
    return 127
  fi
}

# Run a command; with --quiet its output goes to a temporary log that is printed only if it fails.
run_logged() {
  if [[ "$ARGUS_QUIET" == 1 ]]; then
    local out rc=0
    out="$(mktemp)"
    "$@" >"$out" 2>&1 || rc=$?
    if [[ $rc != 0 ]]; then cat "$out" >&2; fi
    rm -f "$out"
    return $rc
  else
    "$@"
  fi
}

# sha256 (hex) of a file.
file_sha256() {
  if have sha256sum; then
    sha256sum "$1" | cut -d' ' -f1
  else
    node -e 'const c=require("node:crypto"),f=require("node:fs");process.stdout.write(c.createHash("sha256").update(f.readFileSync(process.argv[1])).digest("hex"))' "$1"
  fi
}

# Exit with one clear message unless Node.js >= 20.19 and npm are on PATH.
require_node() {
  local how="Install Node.js ${ARGUS_NODE_MIN_MAJOR}.${ARGUS_NODE_MIN_MINOR} or newer (it includes npm): https://nodejs.org/en/download, or on Debian/Ubuntu the NodeSource packages (https://github.com/nodesource/distributions), or nvm: 'nvm install 22'."
  have node || die "Node.js is not installed (or not on PATH). $how"
  local version
  version="$(node -p 'process.versions.node' 2>/dev/null)" || die "'node' is on PATH but does not run. $how"
  local major minor
  major="${version%%.*}"
  minor="${version#*.}"
  minor="${minor%%.*}"
  if ((major < ARGUS_NODE_MIN_MAJOR || (major == ARGUS_NODE_MIN_MAJOR && minor < ARGUS_NODE_MIN_MINOR))); then
    die "Node.js $version is too old; Argus needs ${ARGUS_NODE_MIN_MAJOR}.${ARGUS_NODE_MIN_MINOR} or newer. $how"
  fi
  have npm || die "npm is not installed (Node.js $version is). Install the npm that comes with Node.js ($how), or on Debian: 'apt-get install npm'."
  # shellcheck disable=SC2034 # read by the caller
  ARGUS_NODE_VERSION="$version"
}

# Seconds since the script started, for progress lines.
elapsed() {
  printf '%ss' "$SECONDS"
}
