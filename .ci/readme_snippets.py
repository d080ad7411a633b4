#!/usr/bin/env python3
"""Run the README's Python snippets as a reader would paste them: from the repository root, in order, in one fresh
Python process (the interpreter running this, so the project's virtualenv), with no display (`MPLBACKEND=Agg`).

A snippet that needs the Hugging Face Hub or a GPU (it loads a hub model, `load_artifacts('owner/name', ...)`) is
listed and skipped: this machine has neither. Exits 1 if a snippet raises, naming it.

    python .ci/readme_snippets.py            # README.md
    python .ci/readme_snippets.py OTHER.md
"""
import os, re, subprocess, sys, tempfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent
HUB = re.compile(r"load_artifacts\(\s*['\"][\w.-]+/[\w.-]+['\"]")

def snippets(md:str)->list:
    "The ```python blocks of markdown `md`, in order"
    return re.findall(r'^```python\n(.*?)^```', md, flags=re.S | re.M)

def run_snippets(run:list, what:str, where:str)->int:
    "Run the `(number, code)` pairs of `run` in order, in one fresh Python process from the repository root: its exit code"
    prog = '\n'.join(f'print("== {what} {i}", flush=True)\n' + 'exec(compile({!r}, "{} {} {}", "exec"))'.format(b, where, what, i)
                     for i, b in run)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d)/'snippets.py'
        p.write_text(prog)
        env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'} | dict(MPLBACKEND='Agg')
        return subprocess.run([sys.executable, str(p)], cwd=root, env=env).returncode

def main():
    fn = Path(sys.argv[1]) if len(sys.argv) > 1 else root/'README.md'
    blocks = snippets(fn.read_text(encoding='utf-8'))
    run, skipped = [], []
    for i, b in enumerate(blocks, 1): (skipped if HUB.search(b) else run).append((i, b))
    if not run: sys.exit(f'{fn.name}: no Python snippet to run')
    for i, _ in skipped: print(f'snippet {i}: skipped (needs the Hugging Face Hub and a GPU)')
    if run_snippets(run, 'snippet', 'README'): sys.exit(f'{fn.name}: a Python snippet failed when run from {root} (see above)')
    print(f'{fn.name}: {len(run)} Python snippet(s) ran from the repository root; {len(skipped)} skipped')

if __name__ == '__main__': main()
