"""A venue's postcode district comes from the one postcode parser, never from cutting text by length."""

from __future__ import annotations

from typing import Any

from microdir.search.documents import service_document
from tests import factories


def test_a_venue_postcode_in_any_spacing_gives_its_district(app_ctx: Any) -> None:
    service = factories.create_service(name="Tuesday Club", postcode="b661aa")
    assert "B66" in service_document(service)["text"].upper().split()


def test_text_that_is_not_a_postcode_gives_no_district(app_ctx: Any) -> None:
    # An imported listing with an address line in its postcode field: the old cut indexed "UNIT9" as a district.
    service = factories.create_service(name="Tuesday Club", postcode="Unit 9XYZ")
    assert "UNIT9" not in service_document(service)["text"].upper().split()
