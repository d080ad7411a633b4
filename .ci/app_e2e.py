#!/usr/bin/env python3
"""End-to-end test of `diffedit app` in a real browser: headless Debian Chromium driven by Playwright.

Starts the app (`diffedit_nb.app.build_app`, opened on fastDiffEdit) on the shipped shapes model on a free loopback port, in a thread of
this process (so that a forward hook can count the UNet's calls), and drives the page: uploads an example, types
the caption and the query, computes the mask, moves the threshold and checks that the overlay changes without a
UNet call, paints a brush stroke and checks that the mask grows, edits and reads back a result of the input's size
(and the PNG's parameters, and that it is the same edit as from Python), checks that a second tab does not mix its
results with the first, and that a text file named .png and an empty caption show their messages in the page. Then it stops the server, checks
the port is closed, writes the screenshot nbs/images/app.png (shown by the docs page 10_app) and prints timings:
the slider's re-draw latency in the page, and a full edit through the page against the same edit from Python.

Installs nothing: it needs gradio and playwright (the dev requirements) and /usr/bin/chromium (Debian's
`chromium`); Playwright's own browser download is not used. Exits non-zero on any failure.

    OMP_NUM_THREADS=1 .venv/bin/python .ci/app_e2e.py [--chromium /usr/bin/chromium] [--screenshot nbs/images/app.png]
"""
import os, sys, io, time, socket, argparse, tempfile, statistics, traceback
T0 = time.perf_counter()
os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.update(GRADIO_ANALYTICS_ENABLED='False', TQDM_DISABLE='1', HF_HUB_OFFLINE='1')
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, root)

import numpy as np, torch, psutil
from PIL import Image
torch.set_num_threads(int(os.environ['OMP_NUM_THREADS']))
import diffedit_nb.app as A
from diffedit_nb.all import load_artifacts, fastDiffEdit
from diffedit_nb.cli import read_params
from playwright.sync_api import sync_playwright

def free_port()->int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def check(ok, what):
    if not ok: raise AssertionError(what)
    print(f'ok: {what}', flush=True)

class Page:
    "The app's page in a browser tab: the few actions the test needs"
    def __init__(self, page, url): self.p, self.url = page, url
    def open(self):
        self.p.goto(self.url); self.p.wait_for_selector('#brush canvas'); return self
    def src(self, elem:str)->str|None:
        return self.p.evaluate(f"() => document.querySelector('#{elem} img')?.getAttribute('src') ?? null")
    def image(self, elem:str)->Image.Image:
        return Image.open(io.BytesIO(self.p.request.get(self.src(elem)).body()))
    def wait_src(self, elem:str, old:str|None)->float:
        "Seconds until the image of `elem` is a new one (not `old`)"
        t = time.perf_counter()
        self.p.wait_for_function(f"old => {{ const s = document.querySelector('#{elem} img')?.getAttribute('src'); return s && s !== old; }}", arg=old, polling=20)
        return time.perf_counter() - t
    def status(self)->str: return self.p.inner_text('#status')
    def wait_status(self, text:str): self.p.wait_for_function("t => document.querySelector('#status')?.innerText.includes(t)", arg=text, polling=50)
    def set_threshold(self, v:float):
        self.p.evaluate("v => { const r = document.querySelector('#threshold input[type=range]'); r.value = v; r.dispatchEvent(new Event('input', {bubbles: true})); }", v)
    def upload(self, path):
        self.p.set_input_files('#image input[type=file]', path)
    def type_texts(self, caption, query):
        self.p.fill('#caption textarea', caption); self.p.fill('#query textarea', query)
    def stroke(self):
        "Paint a short horizontal stroke across the middle of the brush editor's image"
        self.p.click('#brush button[aria-label=Brush]')
        bb = self.p.locator('#brush canvas').first.bounding_box()
        cx, cy, r = bb['x'] + bb['width'] / 2, bb['y'] + bb['height'] * 0.62, bb['height'] * 0.25
        self.p.mouse.move(cx - r, cy); self.p.mouse.down()
        for i in range(1, 21): self.p.mouse.move(cx - r + 2 * r * i / 20, cy, steps=3); time.sleep(0.01)
        self.p.mouse.up()

def changed(a:Image.Image, b:Image.Image)->int:
    "How many pixels differ between two overlays"
    return int((np.asarray(a.convert('RGB')) != np.asarray(b.convert('RGB'))).any(-1).sum())

def covered(status:str)->int:
    "The mask's cover in percent, from the page's status line ('Mask: 29% of the image')"
    return int(status.split('Mask:')[1].split('%')[0])

def cpu(browser:bool=False)->float:
    "CPU seconds used so far by this process (the server and the Python edits), or by the browser's processes"
    if not browser: return sum(psutil.Process().cpu_times()[:2])
    t = 0.
    for q in psutil.process_iter(['name']):
        try: t += sum(q.cpu_times()[:2]) if 'chrom' in (q.info['name'] or '') else 0
        except psutil.Error: pass
    return t

LOW = 0.2  # the page's last threshold: low enough to change fastDiffEdit's refined mask (GrabCut keeps a whole object)

def main(chromium:str, shot:str)->int:
    t0 = time.perf_counter()
    sd = load_artifacts('shapes')
    calls = []
    for u in (sd.unet, sd.inpaint_unet): u.register_forward_hook(lambda *a: calls.append(1))
    edits = []  # (seconds, mask, params) of each run_method the page makes
    run = A.run_method
    def timed(img, p, sd, mask=None, progress=False):
        t = time.perf_counter(); out = run(img, p, sd, mask, progress); edits.append((time.perf_counter() - t, mask, p)); return out
    A.run_method = timed
    app, port = A.build_app(sd, method='fastDiffEdit'), free_port()  # the page opens on it: compared with fastDiffEdit below
    app.launch(server_name='127.0.0.1', server_port=port, prevent_thread_lock=True, quiet=True, share=False)
    url = f'http://127.0.0.1:{port}/'
    img, cap, qry = A.example_rows()[0]
    timings = {}
    try:
        with sync_playwright() as pw:
            br = pw.chromium.launch(executable_path=chromium, args=['--no-sandbox'])
            try:
                pg = Page(br.new_page(viewport={'width': 1280, 'height': 1000}), url).open()
                pg.p.set_default_timeout(30_000); t_open = time.perf_counter() - t0
                pg.upload(img); pg.wait_status('64×64 image')
                pg.type_texts(cap, qry)
                pg.p.click('#mask-btn'); pg.wait_src('mask-view', None); pg.wait_status('Mask:')
                n0, m0 = len(calls), pg.image('mask-view')
                check(n0 > 0, f'Mask: inferred with {n0} UNet calls')
                lat = []
                for v in (0.8, 0.65, LOW):
                    old = pg.src('mask-view'); pg.set_threshold(v); lat.append(pg.wait_src('mask-view', old))
                m1 = pg.image('mask-view')
                check(len(calls) == n0, f'threshold moved 3 times: the overlay re-drawn with no UNet call ({len(calls) - n0})')
                check(changed(m0, m1) > 0, f'the overlay changed with the threshold ({changed(m0, m1)} pixels)')
                timings['redraw'] = statistics.median(lat)
                c1, old = covered(pg.status()), pg.src('mask-view'); pg.stroke(); pg.wait_src('mask-view', old)
                c2, m2 = covered(pg.status()), pg.image('mask-view')
                check(c2 > c1 and changed(m1, m2) > 0 and len(calls) == n0, f'a brush stroke grew the mask ({c1}% -> {c2}% of the image), no UNet call')
                n1 = len(calls); pg.p.click('#edit-btn'); pg.wait_src('result', None); pg.wait_status('Done')
                res = pg.image('result')
                check(res.size == Image.open(img).size, f'the result is the input\'s size {res.size}')
                check(len(calls) > n1, 'the edit called the UNet')
                png = pg.p.get_attribute('#png a', 'href')
                got = pg.p.request.get(png if png.startswith('http') else url + png.lstrip('/')).body()
                p = read_params(io.BytesIO(got)); pim = Image.open(io.BytesIO(got))
                check(p['method'] == 'fastDiffEdit' and p['page']['brush'] == 'union' and p['caption'] == cap, 'the PNG carries the edit\'s parameters')
                def python_edit():
                    t = time.perf_counter()
                    _, ref = fastDiffEdit(Image.open(img), cap, qry, sd, mask=edits[0][1], n=p['n'], steps=p['steps'], g=p['guidance'], seed=p['seed'])
                    return time.perf_counter() - t, ref[0]
                _, ref = python_edit()
                check(np.array_equal(np.asarray(pim.convert('RGB')), np.asarray(ref)), 'the page\'s edit is the same edit as from Python')
                py, page, cpu_py, cpu_page, cpu_br = [], [], [], [], []  # warm now: the same edit from Python and through the page, alternately
                for _ in range(3):
                    c = cpu(); py.append(python_edit()[0]); cpu_py.append(cpu() - c)
                    pg.set_threshold(LOW); pg.wait_status('Mask:')  # the status changes; the result may not (the same edit is the same file)
                    c, b = cpu(), cpu(True)
                    pg.p.click('#edit-btn'); t = time.perf_counter(); pg.wait_status('Done'); page.append(time.perf_counter() - t)
                    cpu_page.append(cpu() - c); cpu_br.append(cpu(True) - b)
                timings.update(python=statistics.median(py), page=statistics.median(page))
                check(len(edits) == 4 and all(np.array_equal(e[1], edits[0][1]) for e in edits), 'the page edited with the same mask each time')
                pg.p.screenshot(path=shot, full_page=True)
                pg2 = Page(br.new_context(viewport={'width': 1280, 'height': 1000}).new_page(), url).open()
                img2, cap2, qry2 = A.example_rows()[1]
                pg2.upload(img2); pg2.wait_status('64×64 image'); pg2.type_texts(cap2, qry2)
                pg2.p.click('#mask-btn'); pg2.wait_src('mask-view', None)
                pg.set_threshold(LOW); pg.wait_status('Mask:')
                pg.p.click('#edit-btn'); pg.wait_status('Done')
                again = pg.p.request.get(pg.p.get_attribute('#png a', 'href')).body()
                check(np.array_equal(np.asarray(Image.open(io.BytesIO(again)).convert('RGB')), np.asarray(pim.convert('RGB'))),
                      'a second tab\'s mask does not change the first tab\'s edit')
                notes = os.path.join(tempfile.mkdtemp(), 'notes.png')
                with open(notes, 'w') as f: f.write('a text file, named as a PNG')
                pg2.upload(notes); pg2.p.get_by_text("'notes.png' is not a readable image").first.wait_for()
                check(True, 'a text file named .png shows the CLI\'s message in the page')
                pg.p.fill('#caption textarea', ''); pg.p.click('#mask-btn')
                pg.p.get_by_text('The caption is empty').first.wait_for()
                check(True, 'an empty caption shows its message in the page')
                pg.p.fill('#caption textarea', cap); pg.p.click('#mask-btn'); pg.wait_status('Mask:')
                check(True, 'the app still serves after the error')
            except Exception:
                fail = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'app_e2e_fail.png')
                for i, c in enumerate(br.contexts):
                    for j, q in enumerate(c.pages): q.screenshot(path=fail.replace('.png', f'_{i}{j}.png'), full_page=True)
                print(f"failed with the page's status {pg.status()!r}; screenshots: {fail.replace('.png', '_*.png')}", file=sys.stderr)
                raise
            finally: br.close()
    finally:
        app.close(); A.run_method = run
    with socket.socket() as s: closed = s.connect_ex(('127.0.0.1', port)) != 0
    check(closed, f'the server is stopped (port {port} closed)')
    print(f"slider re-draw in the page: {timings['redraw']:.3f} s (median of 3)")
    print(f"edit through the page (click to result shown): {timings['page']:.2f} s, median of {', '.join(f'{t:.2f}' for t in page)}; "
          f"run_method inside: {', '.join(f'{e[0]:.2f}' for e in edits[1:4])}")
    print(f"the same edit from Python (fastDiffEdit): {timings['python']:.2f} s, median of {', '.join(f'{t:.2f}' for t in py)}")
    print(f"page / Python: {timings['page'] / timings['python']:.2f} in wall time; in this process's CPU time (server + model) "
          f"{statistics.median(cpu_page) / statistics.median(cpu_py):.2f} ({statistics.median(cpu_page):.2f} s / {statistics.median(cpu_py):.2f} s), "
          f"while the browser used {statistics.median(cpu_br):.2f} s of CPU per page edit (2 cores: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    print(f"screenshot: {shot}; all passed in {time.perf_counter() - T0:.1f} s ({t0 - T0:.1f} s of imports, {t_open:.1f} s to load the model and open the page)")
    return 0

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--chromium', default='/usr/bin/chromium')
    ap.add_argument('--screenshot', default=os.path.join(root, 'nbs', 'images', 'app.png'))
    a = ap.parse_args()
    try: sys.exit(main(a.chromium, a.screenshot))
    except Exception: traceback.print_exc(); print('FAIL: app end-to-end test', file=sys.stderr); sys.exit(1)
