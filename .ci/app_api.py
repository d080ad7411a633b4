#!/usr/bin/env python3
"""`diffedit app` as a shared service, driven through its API with gradio_client.

Starts the real command (`diffedit app`, through `diffedit_nb.cli.main`) on the shipped shapes model, on free loopback
ports, each server in its own process with a Gradio cache of its own (GRADIO_TEMP_DIR) and a password from
DIFFEDIT_APP_AUTH, and checks:
- `--host 0.0.0.0` without a password refuses to start, with a message saying how to allow it;
- the start-up line says where it serves and that it is protected; a wrong password is refused;
- the API lists exactly the named endpoints /mask, /redraw and /edit, with the handlers' parameter names;
- a decompression bomb, a text file named .png, a truncated PNG and a 1×1 image get the CLI's message;
- four clients editing four different images at once each get the result they get alone (no mixing);
- a burst of edits beyond the queue is answered "Queue is full", the others are served;
- the server's resident memory (psutil) over 20 sequential edits, printed;
- with `--keep 3`, the cache holds the uploads and results, and is empty again (but for the page's examples)
  once they are 3 seconds old.
Exits non-zero on any failure.

    OMP_NUM_THREADS=1 .venv/bin/python .ci/app_api.py
"""
import os, sys, time, zlib, struct, socket, tempfile, threading, subprocess, traceback, concurrent.futures as cf
from pathlib import Path
T0 = time.perf_counter()
os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.update(GRADIO_ANALYTICS_ENABLED='False', TQDM_DISABLE='1', HF_HUB_OFFLINE='1')
os.environ.pop('DIFFEDIT_APP_AUTH', None)
root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root))

import numpy as np, psutil
from PIL import Image
from gradio_client import Client, handle_file
from diffedit_nb.all import edit_case
from diffedit_nb.cli import open_image
from diffedit_nb.app import example_rows

USER = ('ada', 'lovelace')
MAIN = 'import sys; from diffedit_nb.cli import main; sys.exit(main(sys.argv[1:]))'

def free_port()->int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]

def check(ok, what):
    if not ok: raise AssertionError(what)
    print(f'ok: {what}', flush=True)

def app_cmd(*args)->list: return [sys.executable, '-c', MAIN, 'app', *map(str, args)]

class Server:
    "`diffedit app ARGS` in a process of its own, with its own Gradio cache and a password"
    def __init__(self, tmp:Path, name:str, *args):
        self.port, self.cache, self.lines = free_port(), tmp/f'cache_{name}', []
        env = os.environ | dict(GRADIO_TEMP_DIR=str(self.cache), PYTHONPATH=str(root), DIFFEDIT_APP_AUTH=':'.join(USER))
        self.p = subprocess.Popen(app_cmd('--port', self.port, *args), env=env, cwd=root, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=lambda: self.lines.extend(self.p.stdout), daemon=True).start()
        self.url = f'http://127.0.0.1:{self.port}/'
        self.note = self.wait_for('diffedit app: serving')
    def wait_for(self, text:str, timeout:float=300)->str:
        t = time.time()
        while time.time() - t < timeout:
            if hit := [l for l in self.lines if text in l]: return hit[0].strip()
            if self.p.poll() is not None:
                raise RuntimeError(f"the server exited {self.p.returncode}: {''.join(self.lines)}")
            time.sleep(0.2)
        raise TimeoutError(f"no {text!r} after {timeout} s: {''.join(self.lines)}")
    def client(self, auth=USER)->Client:
        return Client(self.url, auth=auth, verbose=False, download_files=tempfile.mkdtemp(), analytics_enabled=False)
    def rss(self)->int: return psutil.Process(self.p.pid).memory_info().rss
    def files(self)->list:
        "The files in the server's cache but the page's examples (its own, kept by Gradio on purpose)"
        ex = {Path(r[0]).name for r in example_rows()}
        return sorted(str(f.relative_to(self.cache)) for f in self.cache.rglob('*') if f.is_file() and f.name not in ex)
    def stop(self):
        self.p.terminate()
        self.p.wait(30)

def bomb_png(path:Path, side:int=20000)->Path:
    "A 1-bit PNG of `side`×`side` black pixels, compressed to a few kilobytes (as in nbs/08_app.ipynb)"
    def chunk(k, d): return struct.pack('>I', len(d)) + k + d + struct.pack('>I', zlib.crc32(k + d))
    z, row = zlib.compressobj(9), bytes(1 + (side + 7) // 8)
    data = b''.join(z.compress(row) for _ in range(side)) + z.flush()
    hdr = struct.pack('>IIBBBBB', side, side, 1, 0, 0, 0, 0)
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', hdr) + chunk(b'IDAT', data) + chunk(b'IEND', b''))
    return path

def bad_uploads(d:Path)->list:
    good = d/'good.png'
    Image.new('RGB', (64, 64), 'red').save(good)
    (d/'notes.png').write_text('a text file, named as a PNG')
    (d/'cut.png').write_bytes(good.read_bytes()[:len(good.read_bytes()) // 2])
    Image.new('RGB', (1, 1)).save(d/'dot.png')
    return [bomb_png(d/'bomb.png'), d/'notes.png', d/'cut.png', d/'dot.png']

def cli_message(f:Path)->str:
    "The CLI's message for `f` (`open_image`), naming the file by its name as the app does"
    try: open_image(f)
    except ValueError as e: return str(e).replace(repr(str(f)), repr(f.name))
    raise AssertionError(f'{f} opened')

def api_error(client:Client, f:Path, cap:str, qry:str, api:str='/mask')->str:
    try: client.predict(handle_file(f), caption=cap, query=qry, api_name=api)
    except Exception as e: return str(e)
    return ''

def cases(seeds=(1, 2, 3, 4))->list:
    "`(image path, caption, query)` of four shapes-world edits, each a different image"
    d = Path(tempfile.mkdtemp())
    out = []
    for s in seeds:
        c = edit_case(s, 'recolour')
        c.src.image.save(d/f'case_{s}.png')
        out.append((d/f'case_{s}.png', c.caption, c.query))
    return out

def edit(client:Client, case, seed:int=0)->np.ndarray:
    "The result of /edit of `case`, as an array"
    f, cap, qry = case
    res = client.predict(handle_file(f), caption=cap, query=qry, seed=seed, api_name='/edit')
    return np.asarray(Image.open(res[2]).convert('RGB'))

def test_refusal():
    r = subprocess.run(app_cmd('--host', '0.0.0.0'), env=os.environ | dict(PYTHONPATH=str(root)), cwd=root,
                       capture_output=True, text=True, timeout=300)
    check(r.returncode == 2 and '--no-auth' in r.stderr and '--auth' in r.stderr,
          f'--host 0.0.0.0 without a password refuses to start (exit {r.returncode}): {r.stderr.strip()}')

def test_api(srv:Server, client:Client):
    ok = srv.note.startswith(f'diffedit app: serving {srv.url} to this machine only, protected')
    check(ok, f'start-up: {srv.note}')
    try: ok = srv.client(auth=('ada', 'wrong')) is None
    except Exception: ok = True
    check(ok, 'a wrong password is refused')
    api = client.view_api(return_format='dict', print_info=False)
    check(sorted(api['named_endpoints']) == ['/edit', '/mask', '/redraw'] and not api['unnamed_endpoints'],
          f"the API lists exactly {sorted(api['named_endpoints'])}")
    names = [p['parameter_name'] for p in api['named_endpoints']['/edit']['parameters']]
    ok = names[:3] == ['image', 'caption', 'query'] and not any(n.startswith('param_') for n in names)
    check(ok, f'/edit takes {names}')

def test_bad_uploads(client:Client, tmp:Path):
    for f in bad_uploads(tmp):
        for api in ('/mask', '/edit'):
            got, want = api_error(client, f, 'a red square', 'a blue square', api), cli_message(f)
            check(got == want, f'{api} of {f.name} ({f.stat().st_size:,} bytes): {got!r}')

def test_concurrent(srv:Server, cs:list)->tuple:
    t = time.perf_counter()
    alone = [edit(srv.client(), c) for c in cs]
    t_seq = time.perf_counter() - t
    check(all(not np.array_equal(a, b) for i, a in enumerate(alone) for b in alone[i + 1:]), 'four different results')
    clients = [srv.client() for _ in cs]
    t = time.perf_counter()
    with cf.ThreadPoolExecutor(len(cs)) as ex: together = list(ex.map(edit, clients, cs))
    t_par = time.perf_counter() - t
    check(all(np.array_equal(a, b) for a, b in zip(alone, together)),
          f'{len(cs)} clients at once: each gets the result it gets alone '
          f'({t_par:.1f} s together, {t_seq:.1f} s one by one)')
    return t_seq, t_par

def test_busy(srv:Server, case, n:int=10, queue_size:int=4)->tuple:
    clients = [srv.client() for _ in range(n)]
    f, cap, qry = case
    jobs = [c.submit(handle_file(f), caption=cap, query=qry, api_name='/edit') for c in clients]
    served, busy = 0, []
    for j in jobs:
        try: served += bool(j.result(timeout=300))
        except Exception as e: busy.append(str(e))
    what = f'{n} edits at once, queue of {queue_size}: {served} served, {len(busy)} told {busy[:1]}'
    check(busy and all('Queue is full' in m for m in busy) and served >= queue_size + 1, what)
    return served, len(busy)

def test_memory(srv:Server, case, n:int=20)->list:
    client, rss = srv.client(), [srv.rss()]
    for i in range(n):
        edit(client, case, seed=i)
        rss.append(srv.rss())
    mb = [r / 2**20 for r in rss]
    print(f"server RSS: {mb[0]:.0f} MiB before, after edits 1, 5, 10, 20: "
          f"{', '.join(f'{mb[k]:.0f}' for k in (1, 5, 10, 20))} MiB (max {max(mb):.0f})")
    check(mb[n] - mb[5] < 32, f'memory does not grow over {n} edits: {mb[n] - mb[5]:+.1f} MiB from edit 5 to {n}, '
          f'{mb[n] - mb[1]:+.1f} MiB from edit 1')
    return mb

def test_keep(tmp:Path, case, keep:int=3):
    srv = Server(tmp, 'keep', '--keep', keep)
    try:
        check(f'deleted after {keep} s' in srv.note, srv.note)
        edit(srv.client(), case)
        before = srv.files()
        check(len(before) >= 4, f'the cache holds the upload, the images shown and the PNG ({len(before)} files)')
        time.sleep(2 * keep + 1.5)  # the age, then one more look
        left = srv.files()
        check(left == [], f'--keep {keep}: the cache is empty {2 * keep + 1.5} s later ({left})')
    finally: srv.stop()

def main()->int:
    tmp = Path(tempfile.mkdtemp(prefix='diffedit_app_api_'))
    test_refusal()
    cs = cases()
    srv = Server(tmp, 'main', '--concurrency', 1, '--queue-size', 4)
    try:
        client = srv.client()
        test_api(srv, client)
        test_bad_uploads(client, tmp)
        t_seq, t_par = test_concurrent(srv, cs)
        served, busy = test_busy(srv, cs[0])
        mb = test_memory(srv, cs[0])
    finally: srv.stop()
    test_keep(tmp, cs[0])
    print(f"all passed in {time.perf_counter() - T0:.0f} s ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    return 0

if __name__ == '__main__':
    try: sys.exit(main())
    except Exception: traceback.print_exc(); print('FAIL: app API test', file=sys.stderr); sys.exit(1)
