#!/usr/bin/env bash
# Layers import downward only (shared/STYLE.md, ARCHITECTURE.md). Fails when a
# module names a layer it must not know, anywhere in its code (a `use`, or an
# inline `crate::…` path); comment lines are ignored.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0

# forbid FILES... -- LAYER...: none of the files may name crate::LAYER.
forbid() {
    local files=() layers=()
    while (($#)) && [[ $1 != -- ]]; do files+=("$1"); shift; done
    shift
    layers=("$@")
    local pattern alternatives
    alternatives="$(IFS='|'; echo "${layers[*]}")"
    # crate::http::…, and crate::{…, http, …}
    pattern="crate::(${alternatives})\\b|crate::\\{[^}]*\\b(${alternatives})\\b"
    local hits
    hits="$(grep -nHE "$pattern" "${files[@]}" | grep -vE '^[^:]+:[0-9]+:\s*//' || true)"
    if [[ -n $hits ]]; then
        echo "forbidden import (the rule: ${files[0]%%/*}… must not use ${layers[*]}):"
        echo "$hits"
        status=1
    fi
}

mapfile -t domain < <(find src/domain -name '*.rs')
mapfile -t store < <(find src/store -name '*.rs')
mapfile -t http < <(find src/http -name '*.rs')
mapfile -t crypto < <(find src/crypto -name '*.rs')

# The bottom: nothing of the crate (the domain may use its own modules).
forbid "${domain[@]}" -- admin accounts backup cli commands config crypto fsutil http limits metrics passwords readiness service startup store telemetry
forbid "${crypto[@]}" src/fsutil.rs -- admin accounts backup cli commands config crypto domain http limits metrics passwords readiness service startup store telemetry
# The store knows the domain, crypto and file habits, nothing above it.
forbid "${store[@]}" -- admin accounts backup cli commands config http metrics readiness service startup telemetry
# HTTP never reaches into the command line.
forbid "${http[@]}" -- cli commands
# Metrics read the store and the limits, never the HTTP layer.
forbid src/metrics.rs -- http commands
# The admin socket and the backup code serve the commands; they never call them.
mapfile -t backup < <(find src/backup -name '*.rs')
forbid src/admin.rs "${backup[@]}" -- cli commands http
forbid "${backup[@]}" -- admin

if ((status == 0)); then
    echo "layers: every module imports downward only"
fi
exit "$status"
