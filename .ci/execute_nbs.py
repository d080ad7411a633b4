#!/usr/bin/env python3
"""Execute notebooks in place and save their outputs, so that the docs site shows them.

Quarto (`nbdev_docs`) renders the outputs a notebook was saved with; it does not run anything. This runs
each notebook with nbdev's own machinery (execnb's `CaptureShell`, the way `nbdev.test.test_nb` does):
cells flagged with any of settings.ini's `tst_flags` (`notest slow cuda`) and `#| eval: false` cells are
skipped (they keep whatever outputs they had), every other code cell gets fresh outputs (figures as
`image/png`), and the notebook is written back and cleaned with `nbdev_clean` (which keeps outputs).
Notebooks run with nbs/ as the working directory, each in its own Python process, so a notebook's outputs
are the same whether it runs alone or with the others.

If a cell raises, its traceback is printed, that notebook is left untouched on disk, the other notebooks
still run, and the script exits 1 naming the failures.

    python .ci/execute_nbs.py                          # every notebook in nbs/ except index.ipynb
    python .ci/execute_nbs.py --only 03_fast_mask      # one notebook (name, name.ipynb or path)
    python .ci/execute_nbs.py nbs/02_helpers.ipynb nbs/01_shapes_world.ipynb
    python .ci/execute_nbs.py --flags slow ...         # also run cells flagged `#| slow`

Progress bars are switched off (TQDM_DISABLE=1, HF_HUB_DISABLE_PROGRESS_BARS=1) unless `--progress`: they would
be saved as stderr outputs and shown on the site.

Prefix with `OMP_NUM_THREADS=1 MKL_NUM_THREADS=1` on a busy machine.
"""
import argparse, os, subprocess, sys, time
from pathlib import Path

root = Path(__file__).resolve().parent.parent
os.chdir(root)  # nbdev's get_config() finds settings.ini from the working directory
if '--progress' not in sys.argv:  # progress bars (diffusers/transformers loading, tqdm) are noise in the docs
    os.environ.update(TQDM_DISABLE='1', HF_HUB_DISABLE_PROGRESS_BARS='1')

from fastcore.xtras import working_directory
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from nbdev.config import get_config
from nbdev.process import NBProcessor, extract_directives
from nbdev.frontmatter import FrontmatterProc
from nbdev.clean import nbdev_clean

cfg = get_config()
NBS = Path(cfg.nbs_path)


def notebooks(names=()):
    "Paths of the notebooks named in `names` (default: all of nbs/ but index and `_`/`.` files)"
    if not names:
        return [p for p in sorted(NBS.glob('*.ipynb')) if p.stem != 'index' and p.name[0] not in '_.']
    res = []
    for n in names:
        cands = [Path(n), NBS/n, NBS/f'{n}.ipynb']
        p = next((c for c in cands if c.suffix == '.ipynb' and c.is_file()), None)
        if p is None:  # a unique prefix, e.g. `03`
            m = sorted(NBS.glob(f'{n}*.ipynb'))
            if len(m) != 1: sys.exit(f'execute_nbs: no single notebook matches {n!r} ({[q.name for q in m]})')
            p = m[0]
        res.append(p.resolve())
    return res


def skip_reason(cell, flags):
    "Why `cell` is not run (None: run it), honouring what `nbdev.test.test_nb` honours"
    if cell.cell_type != 'code': return 'not code'
    if 'nbdev_export' + '(' in cell.source: return 'nbdev_export'
    direc = extract_directives(cell, remove=False)
    if direc.get('eval:', [''])[0].lower() == 'false': return 'eval: false'
    hit = sorted(flags & direc.keys())
    return f'#| {hit[0]}' if hit else None


def execute(fn:Path, flags:set, mpl_format:str='png'):
    "Run `fn` and write it back with outputs; returns a dict of counts, raises on a cell error"
    fm = getattr(NBProcessor(fn, procs=FrontmatterProc, process=True).nb, 'frontmatter_', {})
    nb = read_nb(fn)
    skipped, ran = {}, 0
    if str(fm.get('skip_exec', '')).lower() in ('true', '1', 'yes'):
        print(f'  {fn.name}: frontmatter skip_exec, not run'); return dict(ran=0, skipped={'skip_exec': 1})

    def pre(cell):
        nonlocal ran
        why = skip_reason(cell, flags)
        if why:
            if why != 'not code': skipped[why] = skipped.get(why, 0) + 1
            return True
        cell.outputs, cell.execution_count = [], None  # `CaptureShell.cell` keeps old outputs when there are none
        ran += 1
        print(f'  [{cell.idx_:3d}] {cell.source.splitlines()[0][:70] if cell.source else ""}', flush=True)
        return False

    sys.path.insert(0, str(cfg.config_path))  # as `test_nb`'s basepath
    k = CaptureShell(fn, mpl_format=mpl_format)
    k._fname = fn
    t = time.time()
    with working_directory(fn.parent):
        try: k.run_all(nb, exc_stop=True, preproc=pre)
        except BaseException:
            sys.stderr.write('\n' + k.prettytb(fname=fn) + '\n')
            raise
    write_nb(nb, fn)
    nbdev_clean.__wrapped__(fname=str(fn))  # outputs kept; metadata, execution counts and ids cleaned
    outs = [o for c in read_nb(fn).cells for o in c.get('outputs', [])]
    return dict(ran=ran, skipped=skipped, secs=time.time() - t,
                images=sum('image/png' in o.get('data', {}) for o in outs),
                stderr=sum(o.get('name') == 'stderr' for o in outs))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('notebooks', nargs='*', help='notebooks to run (default: all in nbs/ except index)')
    p.add_argument('--only', action='append', default=[], metavar='NAME', help='run this one notebook (repeatable)')
    p.add_argument('--flags', default='', help='space-separated tst_flags to run anyway, e.g. "slow"')
    p.add_argument('--mpl-format', default='png', choices=['png', 'retina'], help="matplotlib's inline format")
    p.add_argument('--progress', action='store_true', help='keep progress bars (default: TQDM_DISABLE=1, HF_HUB_DISABLE_PROGRESS_BARS=1)')
    p.add_argument('--in-process', action='store_true', help='run all in this process (default: one process per notebook)')
    a = p.parse_args()
    fns = notebooks(a.only + a.notebooks)
    flags = set(cfg.tst_flags.split()) - set(a.flags.split())
    print(f'execute_nbs: {len(fns)} notebook(s); skipping cells flagged {sorted(flags)} and `eval: false`', flush=True)

    failed, t0 = [], time.time()
    if len(fns) > 1 and not a.in_process:  # one fresh process per notebook: no state leaks between them
        for fn in fns:
            cmd = [sys.executable, __file__, '--only', str(fn), '--flags', a.flags, '--mpl-format', a.mpl_format] + ['--progress']*a.progress
            if subprocess.run(cmd).returncode: failed.append(fn.name)
    else:
        for fn in fns:
            print(f'== {fn.relative_to(root)}', flush=True)
            try: r = execute(fn, flags, a.mpl_format)
            except BaseException as e:
                msg = str(e).splitlines()[0][:160] if str(e) else ''
                print(f'== {fn.name}: FAILED ({type(e).__name__}: {msg}); notebook left unchanged', flush=True)
                failed.append(fn.name); continue
            sk = ', '.join(f'{v} {k}' for k, v in r['skipped'].items()) or 'none'
            print(f"== {fn.name}: ok in {r.get('secs', 0):.0f}s: {r['ran']} cells run, skipped: {sk}; "
                  f"saved {r.get('images', 0)} image output(s), {r.get('stderr', 0)} stderr output(s)", flush=True)
    if failed:
        sys.stderr.write(f"\nexecute_nbs: FAILED: {' '.join(failed)}\n"); sys.exit(1)
    if len(fns) > 1: print(f'execute_nbs: all {len(fns)} notebook(s) executed and cleaned in {time.time()-t0:.0f}s')


if __name__ == '__main__': main()
