#!/usr/bin/env bash
# `npm start`: prepare the machine (scripts/setup.sh), then run Argus with every role in one process.
# Arguments are passed to `argus serve` (for example --roles api,worker or --config argus.yaml).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

# setup.sh put models and media under $ARGUS_DATA_DIR when it is set; point serve at the same folders.
if [[ -n "${ARGUS_DATA_DIR:-}" ]]; then
  export ARGUS_MODELS_DIR="${ARGUS_MODELS_DIR:-$ARGUS_DATA_DIR/models}"
  export ARGUS_MEDIA_DIR="${ARGUS_MEDIA_DIR:-$ARGUS_DATA_DIR/media}"
fi
exec node bin/argus.mjs serve "$@"
