"""The results page's written-out fields and links are the markup GOV.UK Frontend and url_for would have produced.

templates/_fields.html writes out govukInput, govukButton and govukRadios for speed; these render both
with the params the page uses (with and without a hint, an error, odd characters) and compare the element trees a
browser and a screen reader get (text inside an element compared without its leading and trailing spaces).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from flask import Flask, url_for

from microdir.public.fragments import small_checkboxes
from microdir.public.search_routes import listing_links


def element_tree(html: str) -> list[tuple[Any, ...]]:
    """Return the tags (classes and attributes in a fixed order) and text of ``html``, in document order."""
    out: list[tuple[Any, ...]] = []

    def walk(node: Any) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                text = re.sub(r"\s+", " ", str(child)).strip()
                if text:
                    out.append(("text", text))
            elif isinstance(child, Tag):
                attrs = {k: " ".join(v) if isinstance(v, list) else v for k, v in child.attrs.items()}
                out.append(("open", child.name, tuple(sorted(attrs.items()))))
                walk(child)
                out.append(("close", child.name))

    walk(BeautifulSoup(html, "html.parser"))
    return out


def render(app: Flask, source: str, **context: Any) -> str:
    with app.test_request_context("/search"):
        return app.jinja_env.from_string(source).render(**context)


GOVUK = """{% from "govuk_frontend_jinja/components/input/macro.html" import govukInput %}
{% from "govuk_frontend_jinja/components/button/macro.html" import govukButton %}
{% from "govuk_frontend_jinja/components/radios/macro.html" import govukRadios %}"""
OURS = """{% from "_fields.html" import text_input, submit_button, small_radios %}"""


@pytest.mark.parametrize("value", ["", "lunch club", 'a "quoted" <b>tag</b> & more', "Caf\u00e9 \u2018x\u2019"])
def test_search_box_is_govuk_input(app: Flask, value: str) -> None:
    ours = render(app, OURS + """{{ text_input("q", "q", "What do you need?", value, spellcheck=true) }}""",
                  value=value)
    theirs = render(app, GOVUK + """{{ govukInput({"label": {"text": "What do you need?"}, "id": "q", "name": "q",
                    "value": value, "spellcheck": true}) }}""", value=value)
    assert element_tree(ours) == element_tree(theirs)


@pytest.mark.parametrize("error", ["", "We could not find a place called \u2018Nowhere <x>\u2019."])
@pytest.mark.parametrize("value", ["", "B66 1AA"])
def test_place_box_is_govuk_input(app: Flask, error: str, value: str) -> None:
    ours = render(app, OURS + """{{ text_input("where", "where", "Postcode or town", value,
                  hint="For example, B66 1AA or Dudley", error=error, autocomplete="postal-code") }}""",
                  value=value, error=error)
    theirs = render(app, GOVUK + """{{ govukInput({"label": {"text": "Postcode or town"},
                    "hint": {"text": "For example, B66 1AA or Dudley"}, "id": "where", "name": "where", "value": value,
                    "autocomplete": "postal-code", "errorMessage": {"text": error} if error else None}) }}""",
                    value=value, error=error)
    assert element_tree(ours) == element_tree(theirs)


@pytest.mark.parametrize("value", ["", "67"])
def test_age_box_is_govuk_input(app: Flask, value: str) -> None:
    ours = render(app, OURS + """{{ text_input("filter-age", "age", "Age of the person", value,
                  label_classes="govuk-label--s", hint="Leave blank to see services for all ages", inputmode="numeric",
                  classes="govuk-input--width-3") }}""", value=value)
    theirs = render(app, GOVUK + """{{ govukInput({"label": {"text": "Age of the person", "classes": "govuk-label--s"},
                    "hint": {"text": "Leave blank to see services for all ages"}, "id": "filter-age", "name": "age",
                    "value": value, "inputmode": "numeric", "classes": "govuk-input--width-3"}) }}""", value=value)
    assert element_tree(ours) == element_tree(theirs)


@pytest.mark.parametrize("error", ["", "Enter a postcode district, like B66 or WS1, or leave it blank"])
def test_insight_district_box_is_govuk_input(app: Flask, error: str) -> None:
    # The insight pages' area picker uses the same macro (templates/insights/_pickers.html).
    ours = render(app, OURS + """{{ text_input("district", "district", "Or a postcode district", "b66",
                  label_classes="govuk-label--s", hint="For example B66. Leave blank to use the council.",
                  error=error, classes="govuk-input--width-5", spellcheck=false, autocomplete="off") }}""", error=error)
    theirs = render(app, GOVUK + """{{ govukInput({"label": {"text": "Or a postcode district",
                    "classes": "govuk-label--s"}, "hint": {"text": "For example B66. Leave blank to use the council."},
                    "id": "district", "name": "district", "value": "b66", "classes": "govuk-input--width-5",
                    "spellcheck": false, "autocomplete": "off", "errorMessage": {"text": error} if error else None})
                    }}""", error=error)
    assert element_tree(ours) == element_tree(theirs)


def test_buttons_are_govuk_buttons(app: Flask) -> None:
    for text, classes in [("Search", "govuk-!-margin-bottom-0"), ("Show 1 result", "govuk-button--secondary")]:
        ours = render(app, OURS + "{{ submit_button(text, classes) }}", text=text, classes=classes)
        theirs = render(app, GOVUK + '{{ govukButton({"text": text, "classes": classes}) }}', text=text,
                        classes=classes)
        assert element_tree(ours) == element_tree(theirs)


def test_distance_radios_are_govuk_radios(app: Flask) -> None:
    items = [{"value": "", "text": "Up to 25 miles, nearest first", "checked": False}] + [
        {"value": d, "text": f"Within {d} miles", "checked": d == "5"} for d in ("1", "3", "5", "10", "25")]
    legend = "Distance from B66 1AA <&>"
    ours = render(app, OURS + '{{ small_radios("filter-within", "within", legend, items) }}', legend=legend,
                  items=items)
    theirs = render(app, GOVUK + """{{ govukRadios({"idPrefix": "filter-within", "name": "within",
                    "classes": "govuk-radios--small", "fieldset": {"legend": {"text": legend,
                    "classes": "govuk-fieldset__legend--s"}}, "items": items}) }}""", legend=legend, items=items)
    assert element_tree(ours) == element_tree(theirs)


@pytest.mark.parametrize("back_base", [
    "/search?q=lunch+club&where=B66+1AA#result-",
    "/search?q=caf%C3%A9+%26+tea&day=mo&cost=free&within=5&order=nearest&page=2#result-",
    "/search?q=%2B%25%23%3F%3D#result-",
])
def test_listing_links_are_url_for(app: Flask, back_base: str) -> None:
    with app.test_request_context("/search"):
        href = listing_links(back_base)
        for service_id in ["10000000-0000-4000-8000-000000000001", "a b/c?d#e&f=g+h%i", "caf\u00e9"]:
            assert href(service_id) == url_for("resident.listing", service_id=service_id,
                                               back=back_base + service_id)


def test_filter_checkboxes_are_govuk_checkboxes(app: Flask) -> None:
    items = [{"value": "free", "text": "Free (12)", "checked": True},
             {"value": 'a"b<c>&d', "text": "Odd <value> & \u2018quotes\u2019 (1)", "checked": False},
             {"value": "pay_what_you_can", "text": "Pay what you can (3)", "checked": False}]
    ours = str(small_checkboxes("cost", "Cost <&>", items))
    theirs = render(app, """{% from "govuk_frontend_jinja/components/checkboxes/macro.html" import govukCheckboxes %}
                    {{ govukCheckboxes({"idPrefix": "filter-cost", "name": "cost", "classes": "govuk-checkboxes--small",
                    "fieldset": {"legend": {"text": legend, "classes": "govuk-fieldset__legend--s"}},
                    "items": items}) }}""", legend="Cost <&>", items=items)
    assert element_tree(ours) == element_tree(theirs)
