#!/usr/bin/env bash
# `npm start`: prepare the machine (scripts/setup.sh), then run Argus with every role in one process.
# Arguments are passed to `argus serve` (for example --roles api,worker or --config argus.yaml).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

# Readable log lines on a terminal; JSON when the output goes to a file or a log collector.
if [[ -t 1 && -z "${ARGUS_LOG_PRETTY:-}" ]]; then export ARGUS_LOG_PRETTY=1; fi
# The embedded default serves demo cameras (from the demo media) so that a new user sees live video at once,
# and simulates a demo patrol fleet moving along the roads around People's Square (demo.fleet).
export ARGUS_DEMO="${ARGUS_DEMO:-1}"
exec node bin/argus.mjs serve "$@"
