"""``{% load audit_entries %}``: ``{{ entry|action_label }}``, ``{{ entry|readable_changes }}``."""

from __future__ import annotations

from auditlog.models import LogEntry
from django import template

from .. import presentation

register = template.Library()


@register.filter
def action_label(entry: LogEntry) -> str:
    return presentation.action_label(entry)


@register.filter
def readable_changes(entry: LogEntry) -> list[presentation.Change]:
    return presentation.readable_changes(entry)
