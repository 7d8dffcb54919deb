"""docs/upgrading.md's version table is the calendar the rules use, row for row."""

from __future__ import annotations

import re

from cluster_config import versions
from tests.conftest import ROOT


def test_the_upgrading_table_matches_the_calendar():
    text = (ROOT / "docs" / "upgrading.md").read_text()
    rows = re.findall(r"^\| (1\.\d+) \| (\S+) \| (\S+) \| (\S+) \|$", text, flags=re.M)
    documented = {minor: (released, standard, extended) for minor, released, standard, extended in rows}
    assert documented == {
        row.minor: (str(row.released), str(row.end_of_standard), str(row.end_of_extended)) for row in versions.CALENDAR.values()
    }
    assert "1.35" in documented
