"""axe-core, the accessibility engine, fetched once from the npm registry (pinned version, integrity
checked) and cached under .cache/ (gitignored), for injection into pages by Playwright."""
from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.request
from pathlib import Path

AXE_VERSION = "4.10.3"
AXE_TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"
AXE_INTEGRITY = "sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/PbZhideTcEg=="
CACHE = Path(__file__).resolve().parents[2] / ".cache" / f"axe-core-{AXE_VERSION}"


def axe_source() -> str:
    """The text of axe.min.js, downloaded on first use."""
    target = CACHE / "axe.min.js"
    if not target.exists():
        with urllib.request.urlopen(AXE_TARBALL, timeout=60) as response:
            data = response.read()
        digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
        if digest != AXE_INTEGRITY:
            raise RuntimeError(f"axe-core tarball integrity mismatch: {digest}")
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            member = archive.extractfile("package/axe.min.js")
            source = member.read()
        CACHE.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source)
    return target.read_text(encoding="utf-8")


def run_axe(page, impacts=("serious", "critical")) -> list[dict]:
    """Injects axe into the page (the context needs bypass_csp=True) and returns the violations of the
    given impacts, WCAG 2.1 A and AA rules."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
            resultTypes: ['violations']})"""
    )
    return [v for v in result["violations"] if v["impact"] in impacts]


def describe(path: str, violations: list[dict]) -> list[str]:
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(node["target"]) for node in v["nodes"][:4])
        lines.append(f"{path}: [{v['impact']}] {v['id']} ({len(v['nodes'])}): {v['help']} — {targets}")
        for node in v["nodes"][:2]:
            lines.append(f"    {node.get('failureSummary', '')[:300]!r}")
    return lines
