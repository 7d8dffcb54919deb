"""No test skips for want of a tool but through ``tests.conftest.unavailable``, which fails with CI=true.

A CI job whose checkov, helm, terraform or torch is missing must fail: a skipped test there passes a
job that checked nothing (issue 21). This reads every test file and refuses any other way to skip.
"""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT, unavailable

SKIPS = {"skip", "skipif", "importorskip"}


def skip_calls(text: str, name: str) -> list[str]:
    """``pytest.skip(...)``, ``pytest.importorskip(...)``, ``@pytest.mark.skip``/``skipif`` in one file, as
    ``name:line``; a reference to ``pytest.skip.Exception`` (what pytest.raises catches) is not a skip."""
    tree = ast.parse(text)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in SKIPS:
            parent = node.value
            owner = parent.attr if isinstance(parent, ast.Attribute) else getattr(parent, "id", "")
            if owner in ("pytest", "mark"):
                found.append((node.lineno, f"{name}:{node.lineno}"))
    exceptions = {
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute)
        and n.attr == "Exception"
        and isinstance(n.value, ast.Attribute)
        and n.value.attr == "skip"
    }
    return [where for line, where in sorted(found) if line not in exceptions]


def test_every_skip_for_a_missing_tool_goes_through_unavailable():
    allowed = {"tests/conftest.py"}  # unavailable itself
    calls = [
        c
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if str(path.relative_to(ROOT)) not in allowed
        for c in skip_calls(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert calls == [], "skip through tests.conftest.unavailable, which fails with CI=true: " + ", ".join(calls)


def test_the_guard_sees_each_way_to_skip():
    sample = (
        'import pytest\n\n\n@pytest.mark.skipif(True, reason="x")\ndef test_a():\n    pytest.skip("y")\n\n\n'
        'torch = pytest.importorskip("torch")\n\n\ndef test_b():\n    with pytest.raises(pytest.skip.Exception):\n'
        '        pass\n'
    )
    assert skip_calls(sample, "sample.py") == ["sample.py:4", "sample.py:6", "sample.py:9"]


def test_a_missing_tool_fails_under_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true, so this is a failure, not a skip: no helm"):
        unavailable("no helm")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no helm"):
        unavailable("no helm")
