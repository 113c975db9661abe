"""The architecture, enforced: imports go one way and no module imports itself in a circle.

    pages, app.py -> crm_app -> crm_core.cli -> crm_core.charts -> crm_core.journey
      -> crm_core.{exits, loyalty, ingest, demo} -> crm_core.{customers, value, access}
      -> crm_core.store -> crm_core's foundation (errors, filters, i18n)

A module may import its own package and anything in a lower layer; never a higher layer nor a
sibling package of its own layer. Every import counts, those inside functions and under
``TYPE_CHECKING`` included. ``crm_core`` never imports Streamlit; pages never reach the store
or DuckDB themselves. Files stay small enough to read (about 400 lines at most).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

#: Top to bottom. A group is a module-name prefix; the foundation is one group.
LAYERS: list[list[str]] = [
    ["app", "pages"],
    ["crm_app"],
    ["crm_core.cli"],
    ["crm_core.charts"],
    ["crm_core.journey", "crm_core.relations", "crm_core.lake"],
    ["crm_core.exits", "crm_core.loyalty", "crm_core.ingest", "crm_core.demo"],
    ["crm_core.customers", "crm_core.value", "crm_core.access"],
    ["crm_core.store"],
    ["crm_core"],   # the package itself and its foundation modules: errors, filters, i18n, periods
]
FOUNDATION = {"crm_core", "crm_core.__main__", "crm_core.errors", "crm_core.filters", "crm_core.i18n", "crm_core.periods"}
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def sources() -> dict[str, Path]:
    files = [REPO / "app.py", *(REPO / "pages").glob("*.py"), *(REPO / "crm_app").rglob("*.py"),
             *(REPO / "crm_core").rglob("*.py")]
    return {module_name(p): p for p in files}


MODULES = sources()


def group(module: str) -> tuple[int, str]:
    """(layer index, group prefix) of one of our modules."""
    if module == "crm_core.__main__":
        return 2, "crm_core.cli"    # ``python -m crm_core`` is the command line's entry
    if module in FOUNDATION:
        return len(LAYERS) - 1, "crm_core"
    for i, layer in enumerate(LAYERS):
        for prefix in layer:
            if prefix != "crm_core" and (module == prefix or module.startswith(prefix + ".")):
                return i, prefix
    raise AssertionError(f"{module} belongs to no layer: add its package to LAYERS (and to the README)")


def imports(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """Our modules that ``module`` imports, with the line: ``from a.b import c`` counts ``a.b.c``
    when that is a module, else ``a.b``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in MODULES else stem for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module:
                yield target, node.lineno


GRAPH = {m: sorted(set(t for t, _ in imports(m, p))) for m, p in MODULES.items()}


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        group(module)


def test_imports_go_down_the_layers() -> None:
    wrong = []
    for module, path in MODULES.items():
        layer, own = group(module)
        for target, line in imports(module, path):
            t_layer, t_group = group(target)
            if t_group == own or t_layer > layer:
                continue
            why = "a higher layer" if t_layer < layer else "a sibling package of the same layer"
            wrong.append(f"{path.relative_to(REPO)}:{line} imports {target} ({why})")
    assert wrong == [], "\n".join(wrong)


def test_no_import_cycles() -> None:
    """Tarjan's strongly connected components over every import: each must be one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert cycles == [], f"modules that import each other: {cycles}"


def test_the_library_and_the_pages_keep_to_their_side() -> None:
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text("utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names} | \
                {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        roots = {n.split(".")[0] for n in names}
        if module.startswith("crm_core"):
            assert not roots & {"streamlit", "crm_app", "pages"}, f"{module} imports UI code: {roots}"
        if module.startswith("pages") or module == "app":
            assert "duckdb" not in roots, f"{module} talks to DuckDB"
            assert not any(t == "crm_core.store" or t.startswith("crm_core.store.") for t in GRAPH[module]), \
                f"{module} reaches the store; go through crm_app / crm_core functions"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_files_stay_readable(module: str) -> None:
    lines = len(MODULES[module].read_text("utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(REPO)} has {lines} lines: split it by concept"


def test_the_checks_see_violations() -> None:
    """The rules above can fail: a made-up upward import, a sibling import and a cycle are caught."""
    assert group("crm_core.store.connection")[0] > group("crm_core.exits.churn")[0]
    assert group("crm_core.exits.churn")[0] == group("crm_core.loyalty.panel")[0]
    assert group("crm_core.exits.churn")[1] != group("crm_core.loyalty.panel")[1]
    assert "crm_core.store.connection" in GRAPH["crm_core.exits.churn"]   # imports are seen at all
