#!/usr/bin/env bash
# Creates the Python venv with the official provider SDKs (requirements.txt) used by
# test_official_clients.py. Idempotent: when the venv exists and was built from the same
# requirements.txt (sha256 stamp), it does nothing. Needs PyPI only the first time.
#
#   tests/fakeprovider/setup_client_venv.sh          # prints the venv's python path last
#   OMEGA_FAKE_CLIENTS_VENV=/elsewhere setup_client_venv.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
requirements="${here}/requirements.txt"
venv="${OMEGA_FAKE_CLIENTS_VENV:-${repo}/.cache/fake-clients-venv}"
stamp="${venv}/.omega-requirements.sha256"
python="${PYTHON:-python3}"

want="$(sha256sum "${requirements}" | cut -d' ' -f1)"
if [[ -x "${venv}/bin/python" && -f "${stamp}" && "$(cat "${stamp}")" == "${want}" ]]; then
    echo "fake-clients venv up to date: ${venv}" >&2
    echo "${venv}/bin/python"
    exit 0
fi

mkdir -p "$(dirname "${venv}")"
# Two test runs may start at once: one builds, the other waits for it.
exec 9>"${venv}.lock"
flock 9
if [[ -x "${venv}/bin/python" && -f "${stamp}" && "$(cat "${stamp}")" == "${want}" ]]; then
    echo "${venv}/bin/python"
    exit 0
fi

echo "creating fake-clients venv in ${venv} (requirements changed or venv missing)" >&2
rm -rf "${venv}"
if ! "${python}" -m venv "${venv}"; then
    echo "error: '${python} -m venv' failed (is python3-venv installed?)" >&2
    exit 2
fi
if ! "${venv}/bin/python" -m pip install --disable-pip-version-check --quiet \
        --timeout 30 --retries 1 -r "${requirements}" >&2; then
    rm -rf "${venv}"
    echo "error: could not install ${requirements} from PyPI." >&2
    echo "       The official-client tests need network access to PyPI once;" >&2
    echo "       after that the venv in ${venv} is reused offline." >&2
    exit 3
fi
# The stamp is written last: an interrupted install is redone next time.
echo "${want}" > "${stamp}"
echo "${venv}/bin/python"
