"""``{% load portal_lists %}``: sortable column headers of ``tcfo_portal.lists.PortalList``.

``{% sort_th list "created_at" "Placed" %}`` is a ``<th>`` whose link sorts by that field (the
other way when it already does) keeping the filters, with ``aria-sort`` on the sorted column; a
name the list does not sort by gives a plain header.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from ..lists import PortalList

register = template.Library()


@register.simple_tag
def sort_th(listing: PortalList, name: str, label: str, css: str = "") -> str:
    classes = format_html(' class="{}"', css) if css else ""
    if name not in listing.ordering_fields:
        return format_html('<th scope="col"{}>{}</th>', classes, label)
    query, sort = listing.sort_query(name)
    arrow = {"ascending": " ▲", "descending": " ▼"}.get(sort or "", "")
    aria = format_html(' aria-sort="{}"', sort) if sort else ""
    return format_html(
        '<th scope="col"{}{}><a href="?{}" class="sort">{}'
        '<span aria-hidden="true">{}</span></a></th>',
        classes,
        aria,
        query,
        label,
        arrow,
    )
