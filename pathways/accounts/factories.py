from __future__ import annotations

from typing import Any

import factory

from pathways.accounts.models import Agency, AgencyKind, Membership, User

TEST_PASSWORD = "correct horse battery staple"


class AgencyFactory(factory.django.DjangoModelFactory[Agency]):
    class Meta:
        model = Agency

    program = factory.SubFactory("pathways.programs.factories.ProgramFactory")
    name = factory.Sequence(lambda n: f"Agency {n}")
    kind = AgencyKind.LAW_ENFORCEMENT


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Tester"

    @factory.post_generation
    def password(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        obj.set_password(extracted or TEST_PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = "officer"


def member(agency: Agency, role: str, username: str) -> User:
    """A user holding `role` at `agency`."""
    user = UserFactory.create(username=username)
    MembershipFactory.create(user=user, agency=agency, role=role)
    return user
