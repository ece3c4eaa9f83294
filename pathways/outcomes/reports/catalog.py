"""The reports the program office and researchers can run: what each is and how it is built."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from pathways.outcomes.filters import EquityFilterForm, FilterForm, QuarterForm, ReportFilters
from pathways.outcomes.reports import (
    cost,
    equity,
    funder,
    funnel,
    recurrence,
    referral_loop,
    treatment,
)
from pathways.outcomes.tables import Report

Builder = Callable[..., Report]


@dataclass(frozen=True)
class ReportSpec:
    slug: str
    title: str
    summary: str
    build: Builder
    form: type[FilterForm] = FilterForm

    def run(
        self, db: duckdb.DuckDBPyConnection, filters: ReportFilters, *, as_of: dt.datetime
    ) -> Report:
        # Every report page and export is suppressed, for every role: figures leave the
        # program office in exports and funder reports.
        return self.build(db, filters, as_of=as_of, suppress_small=True)


CATALOG: dict[str, ReportSpec] = {
    spec.slug: spec
    for spec in (
        ReportSpec(
            "funnel",
            "Funnel per pathway",
            "Contacts to completion: how many reach each step, the share moving on and the "
            "median time between steps.",
            funnel.build,
        ),
        ReportSpec(
            "time-to-treatment",
            "Time to treatment",
            "How long from the contact to intake at a service, by pathway and provider, and "
            "the share inside each pathway's target.",
            treatment.build,
        ),
        ReportSpec(
            "referral-loop",
            "Referral loop",
            "How providers answer referrals, why they decline, referrals stuck past their "
            "deadline, and capacity used against capacity offered.",
            referral_loop.build,
        ),
        ReportSpec(
            "equity",
            "Equity",
            "At each decision point, the relative rate for each group against a reference group "
            "(race and ethnicity, sex or age), with 95% intervals; differences flagged.",
            equity.build,
            EquityFilterForm,
        ),
        ReportSpec(
            "outcomes",
            "Outcomes over time",
            "Repeat contact, repeat overdose and re-arrest within a year of a diversion, beside "
            "people arrested as usual, as survival curves.",
            recurrence.build,
        ),
        ReportSpec(
            "cost",
            "Cost avoided",
            "What the jail bookings and days, emergency-department visits and ambulance "
            "transports that diversion may have avoided would have cost: a low and a high "
            "estimate under the coordinator's assumptions, not savings in any budget.",
            cost.build,
        ),
        ReportSpec(
            "funder",
            "Quarterly report",
            "One quarter for funders: contacts, people served, referrals, treatment entries and "
            "completions beside the quarter before and a year earlier, by pathway, time to "
            "treatment, outcomes and an eight-quarter trend.",
            funder.build,
            QuarterForm,
        ),
    )
}
