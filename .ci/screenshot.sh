#!/usr/bin/env bash
# Headless Chromium screenshots of rendered docs pages, as a reader sees them (Debian's `chromium`,
# `apt-get install -y chromium`; no network, a fresh throwaway profile for every page). The window, so the
# part of the page captured, is WIDTH x HEIGHT (default 1280 x 900): give a larger HEIGHT to capture more of a
# long page. Scripts (MathJax, when the page uses a local copy: `apt-get install -y libjs-mathjax`) get 15 s
# of virtual time to finish first.
#   .ci/screenshot.sh _docs_offline/index.html index.png         # one page
#   HEIGHT=3000 .ci/screenshot.sh _docs_offline/fast_mask.html fast_mask.png
#   .ci/screenshot.sh --all [DOCS_DIR [OUT_DIR]]                  # every page of DOCS_DIR (default _docs_offline,
#                                                                 # written by .ci/docs_check.py) into OUT_DIR
#                                                                 # (default DOCS_DIR/screenshots/, git-ignored with it), one PNG a page
# In --all mode HEIGHT defaults to 4000, so most of each page is captured.
set -euo pipefail
command -v chromium >/dev/null || { echo "$0: no chromium: apt-get install -y chromium" >&2; exit 1; }

shot() {  # shot PAGE.html OUT.png
  local page out profile
  page=$(realpath "$1"); out=$(realpath -m "$2")
  [[ -f "$page" ]] || { echo "$0: no such page: $1" >&2; return 1; }
  profile=$(mktemp -d)
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --no-first-run --disable-component-update --disable-sync --user-data-dir="$profile" \
    --hide-scrollbars --virtual-time-budget=15000 --window-size="${WIDTH:-1280},${HEIGHT:-900}" --screenshot="$out" \
    "file://$page" >/dev/null 2>&1 || true
  rm -rf "$profile"
  [[ -s "$out" ]] || { echo "$0: chromium wrote no screenshot of $1" >&2; return 1; }
  echo "$out"
}

if [[ "${1:-}" == --all ]]; then
  docs=${2:-_docs_offline}; outdir=${3:-$docs/screenshots}
  [[ -d "$docs" ]] || { echo "$0: no folder $docs (run .ci/docs_check.py first)" >&2; exit 1; }
  mkdir -p "$outdir"
  shopt -s nullglob; pages=("$docs"/*.html); rc=0
  (( ${#pages[@]} )) || { echo "$0: no pages in $docs" >&2; exit 1; }
  for p in "${pages[@]}"; do HEIGHT=${HEIGHT:-4000} shot "$p" "$outdir/$(basename "${p%.html}").png" || rc=1; done
  exit $rc
fi
[[ $# == 2 ]] || { echo "usage: $0 PAGE.html OUT.png | $0 --all [DOCS_DIR [OUT_DIR]]" >&2; exit 2; }
shot "$1" "$2"
