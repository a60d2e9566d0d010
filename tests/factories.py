from __future__ import annotations

import string

import factory
from factory.django import DjangoModelFactory

from organisations.access import SystemActor
from organisations.choices import OrganisationKind, Role
from organisations.models import Organisation, User

TEST_PASSWORD = "correct horse battery staple"


def _letters(n: int) -> str:
    """0 -> AAA, 1 -> AAB, ...: a distinct invoice prefix per sequence number."""
    letters = ""
    for _ in range(3):
        n, rest = divmod(n, 26)
        letters = string.ascii_uppercase[rest] + letters
    return letters


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.CUSTOMER
    name = factory.Sequence(lambda n: f"Carrier {n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} Ltd")
    country = "DE"
    tax_number = factory.Sequence(lambda n: f"DE{n:09d}")
    billing_email = factory.Sequence(lambda n: f"billing@carrier{n}.test")


class CustomerFactory(OrganisationFactory):
    pass


class OperatorFactory(OrganisationFactory):
    kind = OrganisationKind.OPERATOR
    name = factory.Sequence(lambda n: f"Operator {n}")
    country = "AZ"
    invoice_prefix = factory.Sequence(lambda n: "O" + _letters(n))
    time_zone = "Asia/Baku"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    organisation = factory.SubFactory(CustomerFactory)
    role = Role.CUSTOMER_MEMBER
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save_password(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save(update_fields=["password"])


def finance_of(organisation: Organisation, label: str = "finance") -> SystemActor:
    """An actor of ``organisation``'s finance staff, for calling billing services directly."""
    return SystemActor(organisation, Role.OPERATOR_FINANCE, label)
