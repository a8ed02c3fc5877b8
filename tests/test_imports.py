"""The house rules of the code's structure (docs/architecture.md): data flows one way,
config → physics → env → agents/policies → train → run → cli, with no import cycle and no
module importing a layer above its own. Read from the source (ast), so it costs no JAX."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "jaxjam"
# layer of each top-level module or package of jaxjam; an import may only point to the same or a lower layer
LAYERS = {
    "config": 0, "xla_flags": 0, "broadcast": 0, "rundir": 0, "errors": 0, "tblog": 0,
    "physics": 1,
    "env": 2,
    "agents": 3, "policies": 3,
    "runner": 4, "evaluate": 4, "render": 4, "checkpoint": 4, "animate": 4,
    "sharding": 5, "resume": 5,
    "train": 6, "transfer": 6,
    "run": 7, "curriculum": 7, "replay": 7,
    "cli": 8,
}


def _modules():
    """{dotted module name: path} for every .py file under jaxjam/."""
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _edges(mods):
    """{module: set of jaxjam modules it imports} (module-level and function-level imports)."""
    edges = {}
    for name, path in mods.items():
        pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative import
                    base = ".".join(pkg.split(".")[: len(pkg.split(".")) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            else:
                continue
            deps |= {t for t in targets if t.split(".")[0] == "jaxjam" and t in mods and t != name}
        edges[name] = deps
    return edges


def _layer(module: str) -> int:
    """The root package `jaxjam` is layer 0: it may import only the bottom layer (`xla_flags`,
    for the CPU thread floor that must be set before JAX's backend starts)."""
    top = module.split(".")[1] if module.count(".") else None
    return LAYERS[top] if top else 0


def test_every_module_has_a_layer():
    tops = {m.split(".")[1] for m in _modules() if m.count(".")}
    assert tops <= set(LAYERS), f"modules without a layer in tests/test_imports.py: {tops - set(LAYERS)}"


def test_no_module_imports_a_higher_layer():
    bad = [(a, b) for a, deps in _edges(_modules()).items() for b in deps if _layer(b) > _layer(a)]
    assert not bad, f"upward imports (module -> imported): {bad}"


def test_no_import_cycles_between_modules():
    """Cycles between different top-level parts; a package importing its own submodules from its
    __init__ (and they importing each other) is allowed within one part."""
    edges = _edges(_modules())
    top = lambda m: m.split(".")[1] if m.count(".") else m
    graph = {}
    for a, deps in edges.items():
        graph.setdefault(top(a), set()).update(top(b) for b in deps if top(b) != top(a))
    seen, stack, cycles = set(), [], []

    def visit(node):
        if node in stack:
            cycles.append(stack[stack.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            visit(nxt)
        stack.pop()

    for node in sorted(graph):
        visit(node)
    assert not cycles, f"import cycles: {cycles}"


def test_the_checker_sees_a_planted_upward_import(tmp_path, monkeypatch):
    """The rule can fail: a physics module importing train is reported."""
    fake = dict(_modules())
    planted = tmp_path / "planted.py"
    planted.write_text("from jaxjam.train import make_train\n")
    fake["jaxjam.physics.planted"] = planted
    bad = [(a, b) for a, deps in _edges(fake).items() for b in deps if _layer(b) > _layer(a)]
    assert ("jaxjam.physics.planted", "jaxjam.train") in bad
