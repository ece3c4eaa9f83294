"""The filters every report page takes: date range (in the program's time zone), agency, area
and pathway; and the SQL they become over the analytics extract."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django import forms

from pathways.accounts.models import Agency
from pathways.core import clock
from pathways.core.forms import DateInput, Form
from pathways.programs.models import Pathway, Program

#: No report covers more than this: a typo in a year ("2205") is refused, not run.
MAX_SPAN_DAYS = 366 * 10


@dataclass(frozen=True)
class ReportFilters:
    program_id: uuid.UUID
    time_zone: str
    start: dt.date  # first day, local
    end: dt.date  # last day, local (inclusive)
    agency: Agency | None = None
    area: str = ""
    pathway: Pathway | None = None
    compare: str = "race_group"  # the equity report's grouping
    reference: str = ""  # its reference group ("" for the grouping's default)

    @property
    def start_utc(self) -> dt.datetime:
        """The first moment of `start` in the program's zone, as naive UTC (the extract's)."""
        return _local_midnight_utc(self.start, self.time_zone)

    @property
    def end_utc(self) -> dt.datetime:
        """The moment after the last day ends, as naive UTC."""
        return _local_midnight_utc(self.end + dt.timedelta(days=1), self.time_zone)

    def where(self, alias: str = "", *, by_day: bool = False) -> tuple[str, dict[str, Any]]:
        """The SQL condition on encounter facts (program, window, agency, area, pathway), with
        its named parameters ($f_...); `by_day`: on a table of local days (`day`) instead."""
        a = f"{alias}." if alias else ""
        parts = [f"{a}program_id = $f_program"]
        params: dict[str, Any] = {"f_program": str(self.program_id)}
        if by_day:
            parts += [f"{a}day >= $f_first_day", f"{a}day <= $f_last_day"]
            params.update({"f_first_day": self.start, "f_last_day": self.end})
        else:
            parts += [f"{a}occurred_at >= $f_start", f"{a}occurred_at < $f_end"]
            params.update({"f_start": self.start_utc, "f_end": self.end_utc})
        if self.agency is not None:
            parts.append(f"{a}agency_id = $f_agency")
            params["f_agency"] = str(self.agency.pk)
        if self.area:
            parts.append(f"{a}area = $f_area")
            params["f_area"] = self.area
        if self.pathway is not None:
            parts.append(f"{a}pathway = $f_pathway")
            params["f_pathway"] = self.pathway.code
        return " AND ".join(parts), params

    def described(self) -> list[tuple[str, str]]:
        return [
            ("Contacts from", f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"),
            ("Agency", self.agency.name if self.agency else "All agencies"),
            ("Area", self.area or "All areas"),
            ("Pathway", self.pathway.short_name if self.pathway else "All pathways"),
        ]

    def query_string(self) -> str:
        from urllib.parse import urlencode

        return urlencode(
            {
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "agency": str(self.agency.pk) if self.agency else "",
                "area": self.area,
                "pathway": self.pathway.code if self.pathway else "",
                "compare": self.compare,
                "reference": f"{self.compare}:{self.reference}" if self.reference else "",
            }
        )


def local_midnight_utc(day: dt.date, zone: str) -> dt.datetime:
    """The first moment of `day` in `zone`, as naive UTC (the extract's)."""
    return _local_midnight_utc(day, zone)


def _local_midnight_utc(day: dt.date, zone: str) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(), tzinfo=zoneinfo.ZoneInfo(zone))
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def default_window(program: Program) -> tuple[dt.date, dt.date]:
    """The last twelve months up to today, in the program's zone."""
    today = clock.local_date(program.time_zone)
    return today - dt.timedelta(days=365), today


class FilterForm(Form):
    start = forms.DateField(label="Contacts from", widget=DateInput())
    end = forms.DateField(label="To", widget=DateInput())
    agency = forms.ChoiceField(label="Agency", required=False)
    area = forms.ChoiceField(label="Area", required=False)
    pathway = forms.ChoiceField(label="Pathway", required=False)

    def __init__(self, data: Any, *, program: Program, areas: list[str]) -> None:
        start, end = default_window(program)
        merged = {"start": start.isoformat(), "end": end.isoformat(), "compare": "race_group"}
        merged.update({k: v for k, v in data.items() if k in self.base_fields})
        super().__init__(merged)
        self.program = program
        self.agencies = {
            str(a.pk): a for a in Agency.objects.filter(program=program).order_by("name")
        }
        self.pathways = {p.code: p for p in Pathway.objects.order_by("display_order")}
        self._choose("agency", "All agencies", [(k, a.name) for k, a in self.agencies.items()])
        self._choose("area", "All areas", [(a, a) for a in areas])
        self._choose(
            "pathway", "All pathways", [(k, p.short_name) for k, p in self.pathways.items()]
        )

    def _choose(self, name: str, everything: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", everything), *choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end date is before the start date.")
            elif (end - start).days > MAX_SPAN_DAYS:
                self.add_error("end", "Choose a range of ten years or less.")
        return data

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(
            **self.extra_filters(),
            program_id=self.program.pk,
            time_zone=self.program.time_zone,
            start=data["start"],
            end=data["end"],
            agency=self.agencies.get(data.get("agency") or ""),
            area=data.get("area") or "",
            pathway=self.pathways.get(data.get("pathway") or ""),
        )

    def extra_filters(self) -> dict[str, Any]:
        return {}


class EquityFilterForm(FilterForm):
    """The report filters, and which groups to compare against which reference group."""

    compare = forms.ChoiceField(label="Compare by")
    reference = forms.ChoiceField(label="Reference group", required=False)

    def __init__(self, data: Any, *, program: Program, areas: list[str]) -> None:
        from pathways.outcomes.reports.equity import DIMENSIONS

        self.dimensions = DIMENSIONS
        super().__init__(data, program=program, areas=areas)
        compare = self.fields["compare"]
        assert isinstance(compare, forms.ChoiceField)
        compare.choices = [(d.code, d.label) for d in DIMENSIONS.values()]
        reference = self.fields["reference"]
        assert isinstance(reference, forms.ChoiceField)
        reference.choices = [("", "The usual one (White; Male; 26-35)")] + [
            (d.label, [(f"{d.code}:{value}", label) for value, label in d.groups])
            for d in DIMENSIONS.values()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        compare, reference = data.get("compare"), data.get("reference") or ""
        if compare and reference and not reference.startswith(f"{compare}:"):
            self.add_error("reference", "Choose a reference group of the grouping you compare by.")
        return data

    def extra_filters(self) -> dict[str, Any]:
        reference = self.cleaned_data.get("reference") or ""
        return {
            "compare": self.cleaned_data["compare"],
            "reference": reference.split(":", 1)[1] if reference else "",
        }


class QuarterForm(FilterForm):
    """The report filters with one calendar quarter in place of the date range (the funder
    report). A quarter is chosen by its first day, as `start`: the export links, which carry
    the filters' `start`, choose it again, and any date chooses its quarter."""

    start = forms.ChoiceField(label="Quarter")  # type: ignore[assignment]
    end = None  # type: ignore[assignment]
    quarterly = True  # the template shows no end date
    QUARTERS_OFFERED = 20

    def __init__(self, data: Any, *, program: Program, areas: list[str]) -> None:
        from pathways.outcomes.reports.funder import Quarter, quarters_before

        today = clock.local_date(program.time_zone)
        current = Quarter.containing(today)
        offered = quarters_before(today, self.QUARTERS_OFFERED)
        merged = dict(data.items())
        try:
            start = Quarter.containing(dt.date.fromisoformat(str(merged.get("start", "")))).start
        except ValueError:
            start = offered[0][1]  # the last whole quarter
        merged["start"] = start.isoformat()
        super().__init__(merged, program=program, areas=areas)
        field = self.fields["start"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(current.start.isoformat(), f"{current.label} (to date)")] + [
            (first.isoformat(), label) for label, first, _ in offered
        ]

    def clean(self) -> dict[str, Any]:
        from pathways.outcomes.reports.funder import Quarter

        data = super().clean()
        if data.get("start"):
            quarter = Quarter.containing(dt.date.fromisoformat(data["start"]))
            data["start"], data["end"] = quarter.start, quarter.end
        return data
