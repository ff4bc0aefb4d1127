"""core/ is the bottom layer: its modules import no feature package when they are imported."""
from __future__ import annotations

import ast
from pathlib import Path

import supervision.core

CORE = Path(supervision.core.__file__).parent
# What core may import from the rest of the app at module level.
ALLOWED = {"extensions"}


def _module_level_imports(tree: ast.Module):
    for node in tree.body:  # module level only: imports inside functions run at call time
        if isinstance(node, ast.ImportFrom) and node.level:
            yield node.level, node.module or ""
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("supervision"):
            yield 0, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("supervision"):
                    yield 0, alias.name


def test_core_imports_no_feature_package_at_import_time():
    offending = []
    for path in sorted(CORE.glob("*.py")):
        for level, module in _module_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if level == 1 or (level == 0 and module.startswith("supervision.core")):
                continue  # core itself
            top = module.split(".")[1 if level == 0 else 0] if module else ""
            if top not in ALLOWED:
                offending.append(f"{path.name}: {'.' * level}{module}")
    assert offending == []
