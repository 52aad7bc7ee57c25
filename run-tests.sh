#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs Debian's Chromium (for the browser tests)
# and one virtualenv per Gradio lane, then runs
#   - the core tests (no Gradio) once, with the standalone pins (H4);
#   - the UI tests (real Gradio servers, gradio_client, Playwright + Chromium) in every lane:
#     H3 = A1111 1.10.1's stack, H3X = H3 with httpx 0.27.2, H4 = Forge 2.0.1's stack.
# Usage: ./run-tests.sh [pytest args...]   (lanes: LANES="h3 h4" ./run-tests.sh)
set -euo pipefail
cd "$(dirname "$0")"
LANES=${LANES:-"h3 h3x h4"}
PYTHON=${PYTHON:-python3}

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing Debian chromium for the browser tests"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  else
    echo "/usr/bin/chromium is missing; run as root once or: sudo apt-get install chromium" >&2
    exit 1
  fi
fi

lane_python() {
  local lane=$1 dir=.lanes/$1
  local stamp
  stamp=$(cat tests/lanes/"$lane".txt tests/lanes/common.txt requirements.txt | sha256sum | cut -c1-16)
  if [ ! -f "$dir/.stamp-$stamp" ]; then
    echo "== preparing lane $lane (one time)" >&2
    rm -rf "$dir"
    "$PYTHON" -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check -r tests/lanes/"$lane".txt >&2
    touch "$dir/.stamp-$stamp"
  fi
  echo "$dir/bin/python"
}

status=0
echo "== core tests (lane h4 pins)"
"$(lane_python h4)" -m pytest tests --ignore=tests/ui -q -p no:cacheprovider "$@" || status=1
for lane in $LANES; do
  echo "== UI tests, lane $lane"
  "$(lane_python "$lane")" -m pytest tests/ui -q -p no:cacheprovider "$@" || status=1
done
exit $status
