"""Report exported functions longer than 25 lines (signature included) and private helpers with more than 6
positional parameters, in diffedit_nb/*.py. Exits 1 if there are any (issue #17's acceptance)."""
import ast, sys
from pathlib import Path
bad = []
for f in sorted(Path(__file__).resolve().parent.parent.glob('diffedit_nb/*.py')):
    if f.name.startswith('_'): continue
    tree = ast.parse(f.read_text())
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)): continue
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        n, name = node.end_lineno - first + 1, node.name
        pos = [a for a in node.args.posonlyargs + node.args.args if a.arg not in ('self', 'cls')]
        if not name.startswith('_') and n > 25: bad.append(f"{f.name}:{node.lineno} {name}: {n} lines")
        if name.startswith('_') and not name.startswith('__') and len(pos) > 6: bad.append(f"{f.name}:{node.lineno} {name}: {len(pos)} positional parameters")
print('\n'.join(bad) or 'ok: no exported function over 25 lines, no private helper over 6 positional parameters')
sys.exit(1 if bad else 0)
