#!/usr/bin/env bash
# Sets everything up (once) and opens Omega Studio. Arguments go to omega-studio.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"
exec "$repo/build/bin/omega-studio" "$@"
