"""The audit log is django-auditlog's ``LogEntry``: one per change of a followed record
(``audit.registry``), with who acted, when and what changed. Who acted is the entry's ``actor``
when a person did, and always ``additional_data["actor"]``: a username, an API key with its
prefix and organisation, a Celery task or a management command."""

from __future__ import annotations

from django.db import models


class EntryScope(models.Model):
    """An organisation the changed record belonged to when it changed (an operator's site, a
    customer's invoice...), or, with no organisation, the consortium as a whole (prices, the
    catalog, segments and their ownership, capacity): whose staff may read the entry
    (``audit.selectors.entries_for``)."""

    entry = models.ForeignKey(
        "auditlog.LogEntry", on_delete=models.CASCADE, related_name="audit_scopes"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "organisation"], name="one_scope_per_entry_and_organisation"
            ),
            models.UniqueConstraint(
                fields=["entry"],
                condition=models.Q(organisation__isnull=True),
                name="one_consortium_scope_per_entry",
            ),
        ]

    def __str__(self) -> str:
        return str(self.organisation or "consortium")
