"""The tree keeps its shape: imports point downwards, features never form a circle, and the
platform simulators stay a package of their own that the product never imports."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PRODUCT = SRC / "voucherbridge"
SIMS = SRC / "voucherbridge_sims"

# Lower layers never import higher ones; features sit between db and the entry points.
LAYERS: list[set[str]] = [
    {"domain"},
    {"i18n", "config"},
    {"core"},
    {"db"},
    # features, each above the ones it may call
    {"audit"},
    {"chain", "outbox"},
    {"catalogue"},
    {"notifications"},
    {"platforms"},
    {"counter"},
    {"consumer"},
    {"selfpay"},
    {"reports"},
    {"reconciliation"},
    {"ops"},
    {"demo"},
    # entry points
    {"bootstrap"},
    {"api"},
    {"web"},
    {"app", "cli"},
]
LAYER_OF = {part: i for i, parts in enumerate(LAYERS) for part in parts}
# Alerts read the audit log together with the chain's stores and zones, so that one module of
# audit/ sits above chain/ (everything else of audit/ is below every feature that records).
MODULE_LAYER = {"audit.alerts": LAYER_OF["catalogue"]}
# What the simulators may take from the product: its public wire formats, nothing else.
WIRE_FORMATS = {
    "voucherbridge.platforms.douyin.signing",
    "voucherbridge.platforms.meituan.signing",
    "voucherbridge.platforms.weimall.signing",
}
MAX_LINES = 300


def _modules(root: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(root.rglob("*.py")):
        dotted = ".".join(path.relative_to(SRC).with_suffix("").parts)
        yield dotted.removesuffix(".__init__"), path


def _imports(path: Path) -> Iterator[str]:
    """Every module named by an import in the file, outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _part(module: str) -> str | None:
    pieces = module.split(".")
    return pieces[1] if pieces[0] == "voucherbridge" and len(pieces) > 1 else None


def _layer_of(module: str) -> int:
    pieces = module.split(".")
    part = _part(module)
    return MODULE_LAYER.get(".".join(pieces[1:3]), LAYER_OF.get(part or "", 99))


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for dotted, path in _modules(PRODUCT):
        here = _part(dotted)
        for target in _imports(path):
            there = _part(target)
            if (
                here
                and there
                and there != here
                and there in LAYER_OF
                and dotted not in (f"voucherbridge.{m}" for m in MODULE_LAYER)
            ):
                graph[here].add(there)
    return graph


def test_imports_only_point_downwards() -> None:
    upward = sorted(
        f"{dotted} -> {target}"
        for dotted, path in _modules(PRODUCT)
        for target in _imports(path)
        if _part(target) in LAYER_OF
        and _part(target) != _part(dotted)
        and _layer_of(dotted) < _layer_of(target)
    )
    assert upward == []


def test_no_circle_between_packages() -> None:
    graph = _package_graph()
    circles: list[str] = []

    def walk(node: str, trail: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in trail:
                circles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif len(trail) < len(graph) + 1:
                walk(nxt, [*trail, nxt])

    for start in sorted(graph):
        walk(start, [start])
    assert sorted(set(circles)) == []


def test_the_product_never_imports_the_simulators() -> None:
    offenders = [
        f"{dotted}: {target}"
        for dotted, path in _modules(PRODUCT)
        for target in _imports(path)
        if target.split(".")[0] == "voucherbridge_sims"
    ]
    assert offenders == []


def test_the_simulators_import_only_the_products_wire_formats() -> None:
    offenders = [
        f"{dotted}: {target}"
        for dotted, path in _modules(SIMS)
        for target in _imports(path)
        if target.split(".")[0] == "voucherbridge"
        and not any(target == w or target.startswith(w + ".") for w in WIRE_FORMATS)
        and target not in {w.rpartition(".")[0] for w in WIRE_FORMATS}
    ]
    assert offenders == []


@pytest.mark.parametrize("root", [PRODUCT, SIMS], ids=["product", "simulators"])
def test_long_modules_say_why_at_the_top(root: Path) -> None:
    """A module over 300 lines is split by responsibility, or says at its top why it is not."""
    unexplained = []
    for dotted, path in _modules(root):
        text = path.read_text()
        if text.count("\n") > MAX_LINES and "Long on purpose" not in text[:2000]:
            unexplained.append(f"{dotted} ({text.count(chr(10))} lines)")
    assert unexplained == []
