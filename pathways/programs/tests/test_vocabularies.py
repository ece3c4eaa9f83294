"""One vocabulary for charges, kept by the database too: the catalog says whether a pathway
holds a charge; a configuration's charge mode is one of the known modes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from pathways.eligibility.rules import Outcome
from pathways.encounters.factories import EncounterFactory
from pathways.encounters.models import Encounter
from pathways.programs.catalog import catalog_rows
from pathways.programs.models import ChargeMode, Pathway, PathwayCode, PathwayConfig


@pytest.mark.django_db
def test_only_officer_intervention_holds_a_charge() -> None:
    holding = {row["code"] for row in catalog_rows() if row["holds_charges"]}
    assert holding == {PathwayCode.OFFICER_INTERVENTION}
    assert set(Pathway.objects.filter(holds_charges=True).values_list("code", flat=True)) == {
        PathwayCode.OFFICER_INTERVENTION
    }


def test_the_database_refuses_an_unknown_charge_mode(cast: Any) -> None:
    config = PathwayConfig.objects.filter(program_pathway__program=cast.program).first()
    assert config is not None and config.charges in ChargeMode.values
    with pytest.raises(IntegrityError), transaction.atomic():
        PathwayConfig.objects.filter(pk=config.pk).update(charges="held")
    config.refresh_from_db()
    assert config.charges in ChargeMode.values


def test_the_database_refuses_an_unknown_eligibility_outcome(cast: Any) -> None:
    encounter = EncounterFactory.create(
        program=cast.program, agency=cast.police_a, responder=cast.officer_a
    )
    for known in ["", *Outcome]:
        Encounter.objects.filter(pk=encounter.pk).update(eligibility_outcome=known)
    with pytest.raises(IntegrityError), transaction.atomic():
        Encounter.objects.filter(pk=encounter.pk).update(eligibility_outcome="supervisor")
    encounter.refresh_from_db()
    assert encounter.eligibility_outcome == Outcome.INELIGIBLE
