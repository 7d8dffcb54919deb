"""The EKS Kubernetes version calendar: when each minor was released and when its support ends.

EKS supports a minor for 14 months after its release (standard support, $0.10 per cluster-hour),
then for 12 more months at $0.60 per cluster-hour (extended support); after that EKS no longer
creates clusters of it and auto-upgrades the ones left (EKS user guide, "Understand the Kubernetes
version lifecycle on EKS", https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html,
section "Amazon EKS Kubernetes release calendar"; prices: https://aws.amazon.com/eks/pricing/).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import Enum

CALENDAR_SOURCE = "EKS user guide, Understand the Kubernetes version lifecycle on EKS: Amazon EKS Kubernetes release calendar"


class Support(Enum):
    STANDARD = "standard"
    EXTENDED = "extended"
    ENDED = "ended"


@dataclass(frozen=True)
class MinorVersion:
    minor: str
    released: datetime.date
    end_of_standard: datetime.date
    end_of_extended: datetime.date
    source: str

    def support(self, today: datetime.date) -> Support:
        # The calendar's end dates are the last day of each period.
        if today < self.end_of_standard:
            return Support.STANDARD
        if today < self.end_of_extended:
            return Support.EXTENDED
        return Support.ENDED


def _row(minor: str, released: str, standard: str, extended: str, source: str = CALENDAR_SOURCE) -> MinorVersion:
    return MinorVersion(
        minor,
        datetime.date.fromisoformat(released),
        datetime.date.fromisoformat(standard),
        datetime.date.fromisoformat(extended),
        source,
    )


CALENDAR: dict[str, MinorVersion] = {
    row.minor: row
    for row in (
        _row("1.30", "2024-05-23", "2025-07-23", "2026-07-23"),
        _row("1.31", "2024-09-26", "2025-11-26", "2026-11-26"),
        _row("1.32", "2025-01-23", "2026-03-23", "2027-03-23"),
        _row("1.33", "2025-05-29", "2026-07-29", "2027-07-29"),
        _row("1.34", "2025-10-02", "2026-12-02", "2027-12-02"),
        _row("1.35", "2026-01-27", "2027-03-27", "2028-03-27"),
        # 1.36's end of standard support is the calendar's; its release and end of extended support
        # follow from the 14- and 12-month periods on the same page.
        _row(
            "1.36",
            "2026-06-02",
            "2027-08-02",
            "2028-08-02",
            CALENDAR_SOURCE + " (release and end of extended support from its 14+12-month rule)",
        ),
    )
}

NEWEST_KNOWN = max(CALENDAR, key=lambda minor: int(minor.split(".")[1]))

# Per cluster-hour (Amazon EKS pricing, https://aws.amazon.com/eks/pricing/): extended support is
# $0.60 in total, not on top of the standard $0.10.
STANDARD_USD_PER_HOUR = 0.10
EXTENDED_USD_PER_HOUR = 0.60


def today() -> datetime.date:
    """The date the rules judge support by; tests patch it, so they do not age."""
    return datetime.date.today()


def control_plane_usd_per_hour(minor: str, on: datetime.date) -> float:
    row = CALENDAR.get(minor)
    if row is not None and row.support(on) is Support.EXTENDED:
        return EXTENDED_USD_PER_HOUR
    return STANDARD_USD_PER_HOUR
