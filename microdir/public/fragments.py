"""Markup the results page repeats many times, built in Python: GOV.UK Frontend's, for the params the page uses.

The filter panel has ~60 checkboxes; as a Jinja loop they were ~2 ms of a ~6 ms render (10,000 services), as
string formatting ~0.3 ms. tests/public/test_fields.py compares the output with the GOV.UK macro's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

_ITEM = ('<div class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" id="{id}" name="{name}" '
         'type="checkbox" value="{value}"{checked}><label class="govuk-label govuk-checkboxes__label" for="{id}">'
         '{text}</label></div>')


def small_checkboxes(name: str, legend: str, items: Iterable[Mapping[str, Any]]) -> Markup:
    """Return govukCheckboxes (small, in a fieldset with a small legend; ids "filter-<name>", "-2", …).

    ``items``: dicts of ``value``, ``text`` and ``checked``.
    """
    safe_name = escape(name)
    rows = [
        _ITEM.format(id=f"filter-{safe_name}" + (f"-{index}" if index > 1 else ""), name=safe_name,
                     value=escape(item["value"]), checked=" checked" if item["checked"] else "",
                     text=escape(item["text"]))
        for index, item in enumerate(items, start=1)
    ]
    return Markup(
        '<div class="govuk-form-group"><fieldset class="govuk-fieldset"><legend class="govuk-fieldset__legend '
        'govuk-fieldset__legend--s">{legend}</legend><div class="govuk-checkboxes govuk-checkboxes--small" '
        'data-module="govuk-checkboxes">{rows}</div></fieldset></div>'
    ).format(legend=legend, rows=Markup("".join(rows)))
