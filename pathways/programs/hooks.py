"""The calls programs makes into the composing layer above it (pathways.core.hooks).

`template_applied`: a program was started from a template (its pathways are enabled and
configured, inside the same transaction). The workflow creates what the template asks of the
apps above programs, the Active Outreach lists; it registers
`workflow.services.template_outreach_lists_create` in WorkflowConfig.ready() (decision 0023)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pathways.core.hooks import Hook
from pathways.programs.models import Program, ProgramPathway
from pathways.programs.program_templates import ProgramTemplate

if TYPE_CHECKING:
    from pathways.accounts.models import User


class TemplateAppliedListener(Protocol):
    def __call__(
        self,
        *,
        actor: User | None,
        program: Program,
        template: ProgramTemplate,
        started: list[ProgramPathway],
    ) -> object: ...


template_applied: Hook[TemplateAppliedListener] = Hook(
    "programs.template_applied", filled_by="pathways.workflow"
)
