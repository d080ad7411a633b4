#!/usr/bin/env python3
"""Figures whose titles collide: run notebooks as `nbdev_test` does and measure every figure they draw.

The site shows the PNGs that notebooks were saved with, and a PNG no longer knows where its titles are. Matplotlib
does, while the figure still exists: this runs each notebook with nbdev's machinery (execnb's `CaptureShell`, cells
flagged with settings.ini's `tst_flags` and `#| eval: false` cells skipped, nbs/ as the working directory), with a
hook on `FigureCanvasBase.print_figure`, which every shown figure goes through (the inline backend renders it to a
PNG there; `savefig` too). Before the figure is printed the hook draws it and reads its texts' extents in pixels, and
reports:
- two titles (axes titles, `fig.suptitle`) whose boxes overlap, e.g. a long title that runs into its neighbour's;
- a title whose box overlaps another panel (its image or plot area), e.g. a title of three lines reaching up into
  the row above;
- a title cut by the figure's edge, when the figure is saved without `bbox_inches='tight'` (the inline backend
  saves tight, so there it grows the figure instead).
Overlaps of at most `TOL` pixels (at the figure's dpi) are ignored. Exits 1 naming the notebook, the cell (its
index in the notebook file) and the titles.

    python .ci/fig_titles.py                        # every notebook in nbs/ but index.ipynb
    python .ci/fig_titles.py nbs/06_inpaint.ipynb   # some notebooks
    python .ci/fig_titles.py --stop-after-figures   # skip each notebook's cells after its last plotting cell

Prefix with `OMP_NUM_THREADS=1` on a busy machine. Each notebook runs in its own process.
"""
import argparse, json, os, re, subprocess, sys, time
from pathlib import Path

root = Path(__file__).resolve().parent.parent
TOL = 1.0  # pixels
PLOT_CALL = re.compile(r'\b(show_images|plot_diffedit|plt\.|\.suptitle|set_title|subplots)\b')

# Runs inside the notebook's shell, before its first cell.
HOOK = r'''
import matplotlib as _mpl, matplotlib.backend_bases as _mbb
_mpl.rcParams['figure.max_open_warning'] = 0
_figcheck_found = []

def _figcheck_overlap(a, b, tol):
    "Width and height of the intersection of two Bboxes, if both exceed `tol`"
    w, h = min(a.x1, b.x1) - max(a.x0, b.x0), min(a.y1, b.y1) - max(a.y0, b.y0)
    return (round(w), round(h)) if w > tol and h > tol else None

def _figcheck_titles(fig, tight, tol):
    "Overlaps of a figure's titles with each other, with other panels and with the figure's edge: a list of messages"
    r = fig.canvas.get_renderer() if hasattr(fig.canvas, 'get_renderer') else fig._get_renderer()
    fig.draw(r)
    axs = [ax for ax in fig.axes if ax.get_visible()]
    ts = [(ax, t) for ax in axs for t in (ax.title, ax._left_title, ax._right_title) if t.get_visible() and t.get_text().strip()]
    if getattr(fig, '_suptitle', None) is not None and fig._suptitle.get_text().strip(): ts.append((None, fig._suptitle))
    boxes = [(ax, t, t.get_window_extent(r)) for ax, t in ts]
    name = lambda t: repr(t.get_text().replace(chr(10), ' ')[:60])
    res = []
    for i, (a1, t1, b1) in enumerate(boxes):
        for a2, t2, b2 in boxes[i+1:]:
            if (o := _figcheck_overlap(b1, b2, tol)): res.append(f'titles {name(t1)} and {name(t2)} overlap ({o[0]}x{o[1]} px)')
        for ax in axs:
            if a1 is None or ax is a1: continue  # a suptitle against the titles is checked above
            if (o := _figcheck_overlap(b1, ax.get_window_extent(r), tol)):
                res.append(f'title {name(t1)} overlaps another panel ({o[0]}x{o[1]} px)')
        fb = fig.bbox
        if not tight and (b1.x0 < fb.x0 - tol or b1.x1 > fb.x1 + tol or b1.y0 < fb.y0 - tol or b1.y1 > fb.y1 + tol):
            res.append(f'title {name(t1)} is cut by the edge of the figure')
    return res

_figcheck_orig = _mbb.FigureCanvasBase.print_figure
def _figcheck_print_figure(self, *args, **kw):
    try: _figcheck_found.extend(_figcheck_titles(self.figure, kw.get('bbox_inches') == 'tight', TOL_))
    except Exception as e: _figcheck_found.append(f'could not measure the figure: {type(e).__name__}: {e}')
    return _figcheck_orig(self, *args, **kw)
_mbb.FigureCanvasBase.print_figure = _figcheck_print_figure
'''


def check_nb(fn, skip_flags, stop_after_figures=False):
    "Run notebook `fn` with the hook: [(cell index, message)], and the error that stopped it (or None)"
    from fastcore.xtras import working_directory
    from execnb.shell import CaptureShell
    from nbdev.process import NBProcessor
    from nbdev.frontmatter import FrontmatterProc
    nb = NBProcessor(fn, procs=FrontmatterProc, process=True).nb
    cells = nb.cells
    def plots(c): return c.cell_type == 'code' and PLOT_CALL.search(c.source)
    last = max([i for i, c in enumerate(cells) if plots(c)], default=-1)
    def skip(c):  # nbdev.test.test_nb's rule, plus the cells after the last figure when asked
        if c.cell_type != 'code' or 'nbdev_export' + '(' in c.source: return True
        d = getattr(c, 'directives_', {}) or {}
        if d.get('eval:', [''])[0].lower() == 'false': return True
        if stop_after_figures and c.idx_ > last: return True
        return bool(set(skip_flags) & d.keys())
    found, k = [], CaptureShell(fn)
    k.run_cell(HOOK.replace('TOL_', repr(TOL)))
    def post(c):
        msgs = k.user_ns.get('_figcheck_found', [])
        found.extend((c.idx_, m) for m in dict.fromkeys(msgs)); msgs.clear()  # a figure printed twice reports once
    err = None
    with working_directory(fn.parent):
        try: k.run_all(nb, exc_stop=True, preproc=skip, postproc=post)
        except Exception as e: err = f'{type(e).__name__}: {e}'
    return found, err


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('notebooks', nargs='*', help='notebooks (default: every notebook in nbs/ but index.ipynb)')
    p.add_argument('--stop-after-figures', action='store_true', help="skip each notebook's cells after its last plotting cell")
    p.add_argument('--one', help=argparse.SUPPRESS)  # run one notebook in this process, print JSON
    a = p.parse_args()
    os.chdir(root)
    os.environ.update(TQDM_DISABLE='1', HF_HUB_DISABLE_PROGRESS_BARS='1', MPLBACKEND='module://matplotlib_inline.backend_inline')
    from nbdev.config import get_config
    cfg = get_config()
    skip_flags = cfg.tst_flags.split()
    if a.one:
        found, err = check_nb(Path(a.one).resolve(), skip_flags, a.stop_after_figures)
        print('FIGCHECK ' + json.dumps(dict(found=found, err=err))); return
    nbs = [Path(n).resolve() for n in a.notebooks] or \
          [q for q in sorted(Path(cfg.nbs_path).glob('*.ipynb')) if q.stem != 'index' and q.name[0] not in '_.']
    bad, t0 = [], time.time()
    for q in nbs:
        s = time.time()
        cmd = [sys.executable, __file__, '--one', str(q)] + (['--stop-after-figures'] if a.stop_after_figures else [])
        r = subprocess.run(cmd, capture_output=True, text=True)
        line = next((l for l in r.stdout.splitlines() if l.startswith('FIGCHECK ')), None)
        if line is None:
            bad.append((q.name, None, f'did not run (exit {r.returncode}): {r.stderr.strip()[-400:]}')); continue
        res = json.loads(line[9:])
        bad += [(q.name, i, m) for i, m in res['found']]
        if res['err']: bad.append((q.name, None, f"a cell failed, so later figures were not checked: {res['err'][:300]}"))
        print(f'{q.name}: {len(res["found"])} problem(s) in {time.time()-s:.0f}s', flush=True)
    for n, i, m in bad: print(f'  {n}' + (f' cell {i}' if i is not None else '') + f': {m}')
    if bad: sys.exit(f'fig_titles: {len(bad)} problem(s) in {time.time()-t0:.0f}s')
    print(f'fig_titles: {len(nbs)} notebook(s), no overlapping titles ({time.time()-t0:.0f}s)')

if __name__ == '__main__': main()
