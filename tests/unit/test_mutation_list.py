"""The named regressions in tools/mutation.py still point at real lines.

`tools/mutation.py` proves that the fast suite catches each of them; that proof is only worth
something while every entry's old text is in its file exactly once. A refactor that moves a
line breaks this test, not the mutation run weeks later.
"""

import pytest

from tests.conftest import ROOT
from tools import mutation


@pytest.mark.parametrize("entry", mutation.MUTATIONS, ids=lambda m: m.name)
def test_every_named_regression_still_matches_its_line_exactly_once(entry):
    assert mutation.problem(entry, ROOT) is None, f"{entry.name}: {mutation.problem(entry, ROOT)}"


def test_every_named_regression_has_a_unique_name_and_says_what_a_user_would_lose():
    names = [m.name for m in mutation.MUTATIONS]
    assert len(names) == len(set(names))
    # tools/ holds user-facing commands too (the plan guard, make deploy); only the mutation tool itself is off limits.
    assert all(m.why and m.file and not m.file.startswith("tests/") and m.file != "tools/mutation.py" for m in mutation.MUTATIONS)


def test_a_line_that_moved_is_reported():
    moved = mutation.Mutation(name="x", file="modules/node_launch_template.py", old="http_endpoint='enabled'", new="", why="x")
    assert mutation.problem(moved, ROOT) == "its old text occurs 0 times in modules/node_launch_template.py, not once"


def test_the_mutation_runs_leave_out_this_file_and_only_this_file():
    """This file fails on every mutated copy by design, so the runs must ignore it; if it were
    renamed without telling the tool, every mutation would be "caught" by it alone."""
    from pathlib import Path

    assert Path(__file__).resolve().relative_to(ROOT).as_posix() == mutation.LIST_CHECK
    assert [a for a in mutation.FAST_SUITE if a.startswith("--ignore")] == [f"--ignore={mutation.LIST_CHECK}"]


def test_the_run_ends_with_its_catch_rate():
    outcomes = [mutation.Outcome(f"m{i}", result, "", 1.0) for i, result in enumerate(["caught"] * 71 + ["missed", "stale"])]
    assert mutation.catch_rate(outcomes, 3 * 60 + 7) == "catch rate: 71/73 caught (97%) in 3m07s"
    assert mutation.catch_rate([], 0) == "catch rate: 0/0 caught (-) in 0m00s"
