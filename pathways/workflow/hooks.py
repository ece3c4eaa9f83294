"""Every call up into the workflow, in one place: the hooks of the apps below that the
workflow fills (pathways.core.hooks; docs/decisions/0023). Registered in WorkflowConfig.ready()."""

from __future__ import annotations

from django.core import checks

from pathways.programs import hooks as program_hooks
from pathways.referrals import hooks as referral_hooks
from pathways.workflow import sections, services


def register() -> None:
    # a provider's answer closes the response deadline and, accepted, meets the placement target
    referral_hooks.answered.register(services.referral_answered)
    # a program started from a template gets the template's Active Outreach lists
    program_hooks.template_applied.register(services.template_outreach_lists_create)
    # every section a pathway's form may have has its form (else the server refuses to start)
    checks.register(sections.check_section_forms)
