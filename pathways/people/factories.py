from __future__ import annotations

import datetime as dt

import factory

from pathways.people.matching import name_key, name_sound
from pathways.people.models import Person


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person

    first_name = factory.Sequence(lambda n: f"Pat{chr(97 + n % 26)}")
    last_name = factory.Sequence(lambda n: f"Quill{chr(97 + n % 26)}{n}")
    date_of_birth = dt.date(1988, 4, 12)
    first_name_key = factory.LazyAttribute(lambda o: name_key(o.first_name))
    last_name_key = factory.LazyAttribute(lambda o: name_key(o.last_name))
    last_name_sound = factory.LazyAttribute(lambda o: name_sound(o.last_name))
