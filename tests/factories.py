from __future__ import annotations

import factory

from network.models import Ambassador, Interest, Locality


class LocalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Locality
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Ort {n}")


class InterestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interest
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Intresse {n}")


class AmbassadorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ambassador

    first_name = factory.Sequence(lambda n: f"Anna{n}")
    last_name = "Ödmark"
    email = factory.Sequence(lambda n: f"anna{n}@example.se")
    phone = factory.Sequence(lambda n: f"+4670{n:07d}")
    status = Ambassador.Status.ACTIVE
