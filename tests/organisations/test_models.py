import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from organisations.choices import OrganisationKind, Role
from organisations.models import Organisation, User
from organisations.services import create_user
from tcfo_portal.exceptions import InvalidInput

from ..factories import CustomerFactory, OperatorFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_operator_needs_an_invoice_prefix_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(
            kind=OrganisationKind.OPERATOR, name="No Prefix", legal_name="X", country="AZ"
        )
    operator = Organisation(
        kind=OrganisationKind.OPERATOR, name="No Prefix", legal_name="X", country="AZ"
    )
    with pytest.raises(ValidationError, match="invoice prefix"):
        operator.full_clean()


def test_invoice_prefixes_are_unique_but_customers_need_none():
    OperatorFactory(invoice_prefix="AZT")
    with pytest.raises(IntegrityError), transaction.atomic():
        OperatorFactory(invoice_prefix="AZT")
    CustomerFactory(invoice_prefix="")
    CustomerFactory(invoice_prefix="")
    assert Organisation.objects.filter(invoice_prefix="").count() == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Mars/Olympus", "IANA time zone"),
        ("currency", "usd", "ISO 4217"),
        ("invoice_prefix", "azt-1", "capital letters"),
    ],
)
def test_organisation_fields_are_validated(field, value, message):
    operator = OperatorFactory.build(**{field: value})
    with pytest.raises(ValidationError, match=message):
        operator.full_clean()


def test_a_platform_admin_belongs_to_no_organisation_in_the_database():
    customer = CustomerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="x", role=Role.PLATFORM_ADMIN, organisation=customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="y", role=Role.CUSTOMER_ADMIN, organisation=None)


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        (OrganisationKind.CUSTOMER, Role.OPERATOR_FINANCE),
        (OrganisationKind.CUSTOMER, Role.OPERATOR_NETWORK),
        (OrganisationKind.OPERATOR, Role.CUSTOMER_ADMIN),
        (OrganisationKind.OPERATOR, Role.CUSTOMER_MEMBER),
    ],
)
def test_a_role_must_fit_the_kind_of_organisation(kind, role):
    organisation = OperatorFactory() if kind == OrganisationKind.OPERATOR else CustomerFactory()
    with pytest.raises(InvalidInput) as error:  # the service's domain error
        create_user(
            username="u",
            email="u@example.test",
            password="pw",
            role=role,
            organisation=organisation,
        )
    assert "role" in error.value.errors
    assert not User.objects.filter(username="u").exists()


def test_admin_access_follows_the_role():
    member = UserFactory(role=Role.CUSTOMER_MEMBER)
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=None)
    assert (member.is_staff, member.is_superuser) == (False, False)
    assert (admin.is_staff, admin.is_superuser) == (True, True)
    member.is_staff = True
    member.save()
    member.refresh_from_db()
    assert member.is_staff is False


def test_createsuperuser_makes_a_platform_admin():
    call_command("createsuperuser", username="root", email="root@example.test", interactive=False)
    root = User.objects.get(username="root")
    assert root.role == Role.PLATFORM_ADMIN
    assert root.organisation is None
    assert root.is_superuser
