#!/usr/bin/env python3
"""Run a docs page's snippets as a reader would paste them, from the repository root (as `.ci/readme_snippets.py`
does for the README): the notebook's code cells that the page shows, in order, in one fresh Python process (the
interpreter running this, so the project's virtualenv) with no display (`MPLBACKEND=Agg`); then the `diffedit`
commands of its ```bash blocks, from the repository root with this virtualenv's `bin` first on PATH.

Skipped, and listed: cells the page does not show or that nbdev_test skips (`#| hide`, `echo: false`,
`include: false`, `eval: false`, settings.ini's `tst_flags`: `notest slow cuda`); cells and commands that need the
Hugging Face Hub and a GPU (they load a Hub model: `load_artifacts('owner/name', ...)` or `--model owner/name`);
`pip install` lines and `diffedit app` (a server that does not return). The files a command writes with
`--out`, `--mask_out` or `--overlay` are removed afterwards, unless they were there before. Exits 1 if a snippet
raises or a command fails, naming it.

    python .ci/page_snippets.py                          # nbs/00_get_started.ipynb
    python .ci/page_snippets.py nbs/OTHER.ipynb
"""
import os, re, shlex, subprocess, sys, tempfile
from pathlib import Path
import nbformat
sys.path.insert(0, str(Path(__file__).resolve().parent))
from readme_snippets import run_snippets  # one fresh process from the repository root

root = Path(__file__).resolve().parent.parent
HUB = re.compile(r"load_artifacts\(\s*['\"][\w.-]+/[\w.-]+['\"]|--model\s+['\"]?[\w.-]+/[\w.-]+")
SKIP_OPTS = {'hide', 'notest', 'slow', 'cuda'}
_directive_re = re.compile(r'^\s*#\s*\|\s?(.*)$')

def cell_opts(source):
    "The leading `#|` options of a code cell as a dict, and the source without them"
    lines, opts = source.splitlines(), {}
    while lines and (m := _directive_re.match(lines[0])):
        k, sep, v = m.group(1).partition(':')
        for w in (k.split() if not sep else [k.strip()]): opts[w] = v.strip().strip('"\'') if sep else 'true'
        lines.pop(0)
    return opts, '\n'.join(lines)

def shown(opts):
    "Does the page show this cell's code, and does nbdev_test run it?"
    if opts.keys() & SKIP_OPTS: return False
    return not any(opts.get(k, 'true').lower() in ('false', 'no') for k in ('echo', 'include', 'eval'))

def bash_commands(md):
    "The `diffedit ...` commands of markdown `md`'s ```bash blocks, backslash-continued lines joined"
    res = []
    for b in re.findall(r'^```(?:bash|sh|shell)\n(.*?)^```', md, flags=re.S | re.M):
        for c in re.sub(r'\\\n\s*', ' ', b).splitlines():
            if c.strip().startswith('diffedit'): res.append(c.strip())
    return res

def run_commands(cmds):
    "Run `cmds` from the repository root; the files they write removed after: [(command, exit status)]"
    env = dict(os.environ, PATH=f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}', MPLBACKEND='Agg')
    res = []
    for c in cmds:
        args = shlex.split(c)
        outs = [root/args[i+1] for i, a in enumerate(args[:-1]) if a in ('--out', '--mask_out', '--overlay')]
        if '--out' not in args: outs.append(root/'out.png')  # the CLI's default
        new = [p for p in outs if not p.exists()]
        print(f'== {c}', flush=True)
        try: rc = subprocess.run(c, shell=True, cwd=root, env=env).returncode
        finally:
            for p in new: p.unlink(missing_ok=True)
        res.append((c, rc))
    return res

def main():
    fn = Path(sys.argv[1]) if len(sys.argv) > 1 else root/'nbs/00_get_started.ipynb'
    nb = nbformat.read(fn, as_version=4)
    run, skipped, cmds, skipped_cmds = [], [], [], []
    for i, c in enumerate(nb.cells):
        if c.cell_type == 'markdown':
            for cmd in bash_commands(c.source):
                why = 'needs the Hub and a GPU' if HUB.search(cmd) else 'a server' if re.match(r'diffedit\s+app\b', cmd) else None
                (skipped_cmds.append((cmd, why)) if why else cmds.append(cmd))
            continue
        if c.cell_type != 'code': continue
        opts, code = cell_opts(c.source)
        if not code.strip(): continue
        if not shown(opts): skipped.append((i, 'not shown, or skipped by nbdev_test')); continue
        if HUB.search(code): skipped.append((i, 'needs the Hugging Face Hub and a GPU')); continue
        run.append((i, code))
    if not run: sys.exit(f'{fn.name}: no Python snippet to run')
    for i, why in skipped: print(f'cell {i}: skipped ({why})')
    for c, why in skipped_cmds: print(f'command skipped ({why}): {c}')
    if run_snippets(run, 'cell', fn.name): sys.exit(f'{fn.name}: a Python snippet failed when run from {root} (see above)')
    bad = [c for c, rc in run_commands(cmds) if rc]
    if bad: sys.exit(f'{fn.name}: command(s) failed when run from {root}: {bad}')
    print(f'{fn.name}: {len(run)} Python snippet(s) and {len(cmds)} command(s) ran from the repository root; '
          f'{len(skipped)} cell(s) and {len(skipped_cmds)} command(s) skipped')

if __name__ == '__main__': main()
