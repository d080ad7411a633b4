"""Check the readability rules of issues #17 and #28 in diffedit_nb/*.py (the generated _modidx.py aside):
- no exported function over 25 lines (signature and decorators included);
- no private helper with more than 6 positional parameters;
- no line over 120 characters (the `__all__` list nbdev writes aside);
- one statement per line: no `;`; a compound statement may carry one simple statement on its own line
  (`if x is None: return y`, `try: f()`), nothing more;
- calls of the package's own functions pass arguments after the third by keyword.
Prints every breach and exits 1 if there is any.    python .ci/fn_sizes.py [--counts]"""
import ast, sys
from pathlib import Path

MAX_LINES, MAX_POS, MAX_WIDTH, MAX_ARGS = 25, 6, 120, 3
files = [f for f in sorted(Path(__file__).resolve().parent.parent.glob('diffedit_nb/*.py')) if not f.name.startswith('_')]
trees = {f: ast.parse(f.read_text()) for f in files}

def _defs(tree):
    "The module's functions and classes, and its classes' methods: `{name: takes *args}`"
    for n in tree.body:
        for d in [n] + (n.body if isinstance(n, ast.ClassDef) else []):
            if isinstance(d, ast.ClassDef): yield d.name, False
            if isinstance(d, ast.FunctionDef): yield d.name, d.args.vararg is not None
ours = {}
for t in trees.values():
    for k, v in _defs(t): ours[k] = ours.get(k, False) or v

def sizes(f, tree):
    "Functions over MAX_LINES (exported) and helpers with over MAX_POS positional parameters"
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)): continue
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        n, name = node.end_lineno - first + 1, node.name
        pos = [a for a in node.args.posonlyargs + node.args.args if a.arg not in ('self', 'cls')]
        if not name.startswith('_') and n > MAX_LINES: yield f"{f.name}:{node.lineno} {name}: {n} lines"
        if name.startswith('_') and not name.startswith('__') and len(pos) > MAX_POS:
            yield f"{f.name}:{node.lineno} {name}: {len(pos)} positional parameters"

def widths(f, tree):
    "Lines over MAX_WIDTH characters, outside nbdev's `__all__`"
    skip = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', '') == '__all__' for t in node.targets):
            skip |= set(range(node.lineno, node.end_lineno + 1))
    for i, l in enumerate(f.read_text().splitlines(), 1):
        if len(l) > MAX_WIDTH and i not in skip: yield f"{f.name}:{i} {len(l)} characters"

def _bodies(node):
    for k in ('body', 'orelse', 'finalbody', 'handlers'):
        b = getattr(node, k, None)
        if isinstance(b, list) and b: yield b

def statements(f, tree):
    "Lines holding two statements of one block (`;`), or a compound statement with more than one on its line"
    for node in ast.walk(tree):
        for body in _bodies(node):
            lines = [s.lineno for s in body if isinstance(s, ast.stmt)]
            for l in sorted({l for l in lines if lines.count(l) > 1}): yield f"{f.name}:{l} several statements"

def positional(f, tree):
    "Calls of the package's own functions with more than MAX_ARGS positional arguments"
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call): continue
        name = getattr(node.func, 'id', getattr(node.func, 'attr', None))
        pos = [a for a in node.args if not isinstance(a, ast.Starred)]
        if name in ours and not ours[name] and len(pos) > MAX_ARGS: yield f"{f.name}:{node.lineno} {name}(...): {len(pos)} positional arguments"

checks = dict(sizes=sizes, widths=widths, statements=statements, positional=positional)
bad = {k: [b for f, t in trees.items() for b in c(f, t)] for k, c in checks.items()}
for k, bs in bad.items(): print(f'{k}: {len(bs)}' + ''.join(f'\n  {b}' for b in ([] if '--counts' in sys.argv else bs)))
sys.exit(1 if any(bad.values()) else 0)
