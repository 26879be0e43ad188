#!/usr/bin/env bash
# CTest entry point: makes sure the SDK venv exists, then runs the official-client tests
# against the given omega-fake-provider binary.
#   run_official_clients.sh /path/to/omega-fake-provider
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -ne 1 || ! -x "$1" ]]; then
    echo "usage: $0 /path/to/omega-fake-provider" >&2
    exit 2
fi
python="$("${here}/setup_client_venv.sh" | tail -n 1)"
exec "${python}" "${here}/test_official_clients.py" "$1"
