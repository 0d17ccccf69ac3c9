#!/usr/bin/env bash
# Prepare this machine and checkout for Argus: system packages, npm dependencies, the web app, model files
# and demo media. Idempotent: each step checks first and does nothing when nothing is missing, so a second
# run takes a few seconds. `npm start` and `npm test` run it first.
#
# Usage: bash scripts/setup.sh [--quiet]
# Environment: ARGUS_DATA_DIR (default ./data), ARGUS_MODELS_DIR (default $ARGUS_DATA_DIR/models),
#              ARGUS_MEDIA_DIR (default $ARGUS_DATA_DIR/media).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ARGUS_LOG_TAG='argus setup'

for arg in "$@"; do
  case "$arg" in
    --quiet | -q) ARGUS_QUIET=1 ;;
    --help | -h)
      sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown option '$arg' (use --quiet or --help)" ;;
  esac
done

cd "$ARGUS_ROOT"

DATA_DIR="${ARGUS_DATA_DIR:-data}"
MODELS_DIR="${ARGUS_MODELS_DIR:-$DATA_DIR/models}"
MEDIA_DIR="${ARGUS_MEDIA_DIR:-$DATA_DIR/media}"
SHARED_DIR="$(cd "$ARGUS_ROOT/.." && pwd)/shared"

# System packages: video (ffmpeg), Redis (started by Argus when needed), the Janus WebRTC relay, Chromium for
# browser tests, CJK fonts for the Chinese UI, GStreamer's RTSP server for the demo camera, util-linux (setpriv:
# ffmpeg dies with Argus), and a C compiler for the small helper that keeps Janus's WebRTC candidates on loopback.
DEB_PACKAGES=(
  ffmpeg
  util-linux
  gcc
  libc6-dev
  redis-server
  janus
  chromium
  fonts-noto-cjk
  gir1.2-gst-rtsp-server-1.0
  python3-gi
  gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good
  gstreamer1.0-plugins-ugly
  gstreamer1.0-plugins-bad
  gstreamer1.0-libav
  gstreamer1.0-tools
)

# ----------------------------------------------------------------------------------------------------------
step_node() {
  require_node
  log "Node.js $ARGUS_NODE_VERSION, npm $(npm --version 2>/dev/null | tail -n1)"
}

# Packages of DEB_PACKAGES that dpkg does not report as installed.
missing_deb_packages() {
  local status
  status="$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${DEB_PACKAGES[@]}" 2>/dev/null || true)"
  local p
  for p in "${DEB_PACKAGES[@]}"; do
    grep -Eq "^${p//./\\.}(:[a-z0-9]+)? ii" <<<"$status" || printf '%s\n' "$p"
  done
}

# Keep package installation from starting system services (Argus starts its own redis-server and Janus):
# a temporary policy-rc.d, removed again on exit, unless the machine already has one.
POLICY_RC=/usr/sbin/policy-rc.d
POLICY_RC_OURS=0
remove_policy_rc() {
  if [[ "$POLICY_RC_OURS" == 1 ]]; then as_root rm -f "$POLICY_RC" || true; fi
}

step_debian_packages() {
  if ! have dpkg-query; then
    local cmd missing_cmds=()
    for cmd in ffmpeg redis-server janus chromium gst-launch-1.0; do have "$cmd" || missing_cmds+=("$cmd"); done
    if ((${#missing_cmds[@]})); then
      die "this is not a Debian-based system, and these programs are missing: ${missing_cmds[*]}. Install the equivalents of the Debian packages: ${DEB_PACKAGES[*]}."
    fi
    warn "not a Debian-based system; found ffmpeg, redis-server, janus, chromium and GStreamer on PATH, carrying on"
    return
  fi
  local missing
  mapfile -t missing < <(missing_deb_packages)
  if ((${#missing[@]} == 0)); then
    log "system packages present (${#DEB_PACKAGES[@]} checked)"
  else
    local manual="apt-get update && apt-get install -y ${missing[*]}"
    if ! have apt-get; then
      die "missing Debian packages: ${missing[*]}. apt-get is not available here; install them with your package manager (as root: $manual)."
    fi
    if [[ "$(id -u)" != 0 ]] && ! have sudo; then
      die "missing Debian packages: ${missing[*]}. Installing them needs root and sudo is not available; run as root: $manual"
    fi
    say "installing Debian packages: ${missing[*]} (this takes a few minutes the first time)"
    if [[ ! -e "$POLICY_RC" ]] && printf '#!/bin/sh\n# temporary, from Argus scripts/setup.sh: do not start services while installing\nexit 101\n' | as_root tee "$POLICY_RC" >/dev/null 2>&1; then
      POLICY_RC_OURS=1
      trap remove_policy_rc EXIT
      as_root chmod 755 "$POLICY_RC" || true
    fi
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
    if ! run_logged as_root "${apt[@]}" update -qq; then
      remove_policy_rc
      die "'apt-get update' failed (see above). Missing Debian packages: ${missing[*]}. Fix the package sources or network and run again, or install them yourself (as root: $manual)."
    fi
    if ! run_logged as_root "${apt[@]}" install -y -q --no-install-recommends "${missing[@]}"; then
      remove_policy_rc
      die "'apt-get install' failed (see above). Missing Debian packages: ${missing[*]}. As root: $manual"
    fi
    remove_policy_rc
    POLICY_RC_OURS=0
    mapfile -t missing < <(missing_deb_packages)
    ((${#missing[@]} == 0)) || die "apt-get finished but these packages are still not installed: ${missing[*]}. As root: $manual"
    say "Debian packages installed ($(elapsed))"
  fi
  [[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing although the chromium package is installed; reinstall it (as root: apt-get install --reinstall chromium)."
}

# ----------------------------------------------------------------------------------------------------------
NPM_STAMP=node_modules/.argus-lock-hash

npm_install() {
  export ONNXRUNTIME_NODE_INSTALL=skip
  local out rc=0
  out="$(mktemp)"
  npm ci --no-audit --no-fund >"$out" 2>&1 || rc=$?
  if [[ $rc != 0 ]] && grep -q 'can only install packages when your package.json and package-lock.json' "$out"; then
    # npm ci rejects a lock file that lacks entries for optional packages of other platforms which this
    # registry does not serve; npm install resolves the same locked versions and leaves the lock file as it is.
    warn "npm ci refused package-lock.json ($(grep -c '^npm error Missing:' "$out") optional packages for other platforms are not in it); installing the locked versions with npm install instead"
    rc=0
    npm install --no-audit --no-fund >"$out" 2>&1 || rc=$?
  fi
  if [[ $rc != 0 ]]; then
    grep -v 'Unknown user config "nodedir"' "$out" >&2 || true
  elif [[ "$ARGUS_QUIET" != 1 ]]; then
    grep -Ev 'Unknown user config "nodedir"|install-scripts' "$out" | sed '/^[[:space:]]*$/d' || true
  fi
  rm -f "$out"
  return $rc
}

step_npm() {
  [[ -f package-lock.json ]] || die "package-lock.json is missing; it belongs in the repository (restore it with git)."
  local lock_hash
  lock_hash="$(file_sha256 package-lock.json)"
  if [[ -f "$NPM_STAMP" && "$(cat "$NPM_STAMP")" == "$lock_hash" && -x node_modules/.bin/tsx ]]; then
    log "npm dependencies up to date"
    return
  fi
  say "installing npm dependencies (npm ci)"
  npm_install || die "installing npm dependencies failed (see above). Check that the npm registry can be reached (npm ping), then run again."
  # npm 11 may skip install scripts (esbuild's among them): make sure esbuild's platform binary and tsx work.
  node -e "require('esbuild').transformSync('const a: number = 1', { loader: 'ts' })" ||
    die "esbuild does not work after npm install (its platform package @esbuild/$(node -p 'process.platform + "-" + process.arch') is missing?). Remove node_modules and run again."
  local probe
  probe="$(mktemp -d)"
  printf 'const n: number = 41;\nconsole.log(n + 1);\n' >"$probe/probe.ts"
  [[ "$(node_modules/.bin/tsx "$probe/probe.ts" 2>&1)" == 42 ]] || {
    rm -rf "$probe"
    die "tsx cannot run TypeScript after npm install. Remove node_modules and run again."
  }
  rm -rf "$probe"
  printf '%s\n' "$lock_hash" >"$NPM_STAMP"
  say "npm dependencies installed ($(elapsed))"
}

# ----------------------------------------------------------------------------------------------------------
WEB_DIR=command-ui/web
WEB_CONFIG="$WEB_DIR/vite.config.ts"

step_web() {
  if [[ ! -f "$WEB_CONFIG" ]]; then
    log "web app: $WEB_CONFIG does not exist yet, build skipped"
    return
  fi
  local index="$WEB_DIR/dist/index.html" reason=""
  if [[ ! -f "$index" ]]; then
    reason="not built yet"
  else
    local inputs=() p
    for p in "$WEB_DIR/src" "$WEB_DIR/index.html" "$WEB_DIR/public" "$WEB_DIR"/*.config.* "$WEB_DIR"/tsconfig*.json contracts package-lock.json; do
      [[ -e "$p" ]] && inputs+=("$p")
    done
    if [[ -n "$(find "${inputs[@]}" -newer "$index" -print -quit 2>/dev/null)" ]]; then reason="sources changed"; fi
  fi
  if [[ -z "$reason" ]]; then
    log "web app up to date ($index)"
    return
  fi
  say "building the web app ($reason)"
  run_logged npx vite build --config "$WEB_CONFIG" || die "building the web app failed (see above): npx vite build --config $WEB_CONFIG"
  [[ -f "$index" ]] || die "vite build finished but $index was not written"
  say "web app built ($(elapsed))"
}

# ----------------------------------------------------------------------------------------------------------
step_models() {
  mkdir -p "$MODELS_DIR"
  local args=(models fetch --models-dir "$MODELS_DIR")
  [[ "$ARGUS_QUIET" == 1 ]] && args+=(--quiet)
  log "model files in $MODELS_DIR (linked from $SHARED_DIR/models when present there)"
  node bin/argus.mjs "${args[@]}" ||
    die "required model files are missing (see above). Put ../shared/models beside the repository, or make the upstream addresses reachable, then run again (or: node bin/argus.mjs models fetch --models-dir $MODELS_DIR)."
}

step_media() {
  local shared_media="$SHARED_DIR/media"
  if [[ ! -d "$shared_media" ]]; then
    log "demo media absent ($shared_media not found): the demo camera and media tests have no footage (not fatal)"
    return
  fi
  mkdir -p "$(dirname "$MEDIA_DIR")"
  if [[ -L "$MEDIA_DIR" || ! -e "$MEDIA_DIR" ]]; then
    if [[ "$(readlink "$MEDIA_DIR" 2>/dev/null || true)" != "$shared_media" ]]; then
      ln -sfn "$shared_media" "$MEDIA_DIR"
      log "demo media linked: $MEDIA_DIR -> $shared_media"
    else
      log "demo media present ($MEDIA_DIR -> $shared_media)"
    fi
  else
    log "demo media: $MEDIA_DIR exists and is not a link; left as it is"
  fi
}

# ----------------------------------------------------------------------------------------------------------
log "preparing $ARGUS_ROOT (data: $DATA_DIR)"
step_node
step_debian_packages
step_npm
step_web
mkdir -p "$DATA_DIR"
step_models
step_media
say "ready ($(elapsed))"
