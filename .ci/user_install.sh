#!/usr/bin/env bash
# Install the package as a user does and use it from outside the repository (issue #27).
# A fresh virtual environment; CPU PyTorch first (what a user without a GPU installs, as the README says); then
# `pip install REPO` with no extras and no pins beyond settings.ini's requirements, so pip resolves today's newest
# allowed versions (fastcore 2.x among them). From a folder outside the repository: the README's edit through
# `diffedit` (exit 0, output at the input's size), `diffedit batch` on a two-row manifest, `diffedit --help`,
# quiet imports and model loading (nothing on stderr when not on a terminal); then `pip install 'REPO[app]'` and
# `diffedit app` serving its page on a loopback port. Prints the resolved versions. Exits non-zero on any failure.
#   bash .ci/user_install.sh REPO WORKDIR
set -euo pipefail
repo=$(cd "$1" && pwd); work=$2
mkdir -p "$work"; cd "$work"
python3 -m venv venv
venv/bin/pip install -q torch==2.13.0
venv/bin/pip install -q "$repo"
py=venv/bin/python; bin=venv/bin
versions() { $py - "$@" <<'EOF'
import importlib.metadata as m, sys
def v(p):
    try: return m.version(p)
    except m.PackageNotFoundError: return 'not installed'
print('resolved:', ', '.join(f'{p} {v(p)}' for p in sys.argv[1:]))
EOF
}
versions torch diffusers transformers fastcore gradio

cp "$repo/nbs/images/shapes_example.png" in.png
cap="a yellow square and a green circle on a white background"
qry="a yellow square and a blue circle on a white background"

echo "-- diffedit --help"
$bin/diffedit --help > help.txt
grep -q -- '--caption' help.txt

echo "-- the README's edit"
$bin/diffedit in.png --caption "$cap" --query "$qry" --out edit.png --overlay overlay.png 2> edit.err
$py -c "from PIL import Image; a, b = Image.open('in.png'), Image.open('edit.png'); assert a.size == b.size, (a.size, b.size)"
if [[ -s edit.err ]]; then echo "FAIL: the edit wrote to stderr:"; cat edit.err; exit 1; fi

echo "-- diffedit batch, two rows"
printf 'image,caption,query,seed\nin.png,%s,%s,1\nin.png,%s,%s,2\n' "$cap" "$qry" "$cap" "$qry" > m.csv
$bin/diffedit batch m.csv --out-dir out --n 4 --steps 10 > batch.json
$py -c "import json; r = json.load(open('batch.json')); assert (r['ok'], r['failed']) == (2, 0), r"
$bin/diffedit-batch m.csv --out-dir out --n 4 --steps 10 > batch2.json  # the dashed console script: nothing left to do
$py -c "import json; r = json.load(open('batch2.json')); assert (r['ok'], r['done_now']) == (2, 0), r"

echo "-- quiet imports and loading"
$py -c "import diffedit_nb.all" 2> import.err
$py -c "from diffedit_nb.all import *; load_artifacts('shapes')" 2> load.err
for f in import.err load.err; do
  if [[ -s $f ]]; then echo "FAIL: $f is not empty:"; cat $f; exit 1; fi
done

echo "-- diffedit app"
venv/bin/pip install -q "$repo[app]"
versions gradio
port=$($py -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
$bin/diffedit app --port "$port" > app.log 2>&1 &
app=$!
trap 'kill $app 2>/dev/null || true' EXIT
ok=0
for _ in $(seq 1 120); do
  if $py -c "import urllib.request as u; assert b'<html' in u.urlopen('http://127.0.0.1:$port/', timeout=5).read().lower()" 2>/dev/null
  then ok=1; break; fi
  kill -0 $app 2>/dev/null || break
  sleep 1
done
kill $app 2>/dev/null || true
if [[ $ok != 1 ]]; then echo "FAIL: diffedit app did not serve its page:"; cat app.log; exit 1; fi
echo "user install: all passed"
