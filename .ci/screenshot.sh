#!/usr/bin/env bash
# Headless Chromium screenshot of a rendered docs page (Debian's `chromium`, `apt-get install -y chromium`;
# no network, a throwaway profile). The window, so the part of the page captured, is WIDTH x HEIGHT
# (default 1200 x 900): give a larger HEIGHT to capture more of a long page. Scripts (MathJax, when the
# page uses a local copy: `apt-get install -y libjs-mathjax`) get 15 s of virtual time to finish first.
#   .ci/screenshot.sh _docs_offline/index.html index.png
#   HEIGHT=3000 .ci/screenshot.sh _docs_offline/fast_mask.html fast_mask.png
set -euo pipefail
[[ $# == 2 ]] || { echo "usage: $0 PAGE.html OUT.png" >&2; exit 2; }
page=$(realpath "$1"); out=$(realpath -m "$2")
[[ -f "$page" ]] || { echo "$0: no such page: $1" >&2; exit 1; }
profile=$(mktemp -d); trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --no-first-run --disable-component-update --disable-sync --user-data-dir="$profile" \
  --hide-scrollbars --virtual-time-budget=15000 --window-size="${WIDTH:-1200},${HEIGHT:-900}" --screenshot="$out" \
  "file://$page" 2>/dev/null
[[ -s "$out" ]] || { echo "$0: chromium wrote no screenshot" >&2; exit 1; }
echo "$out"
