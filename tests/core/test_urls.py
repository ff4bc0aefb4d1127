"""``url_template``: one url_for per page, the same links as url_for per row."""
from __future__ import annotations

import pytest
from flask import url_for

from supervision.core.urls import UrlTemplate, url_template


@pytest.mark.parametrize("estate_id", [1, 42, 2_147_483_647])
def test_one_parameter_as_url_for(app, estate_id):
    with app.test_request_context("/"):
        assert url_template("estates.detail", "estate_id")(estate_id) == url_for("estates.detail", estate_id=estate_id)


@pytest.mark.parametrize("week", ["2026-W40", "2026-W01", "a b/ü?&#"])
def test_several_parameters_fixed_values_and_quoting_as_url_for(app, week):
    with app.test_request_context("/"):
        cell = url_template("reports.cell", "street_id", "week", campaign_id=7)
        assert cell(3, week) == cell(street_id=3, week=week) == url_for("reports.cell", campaign_id=7, street_id=3,
                                                                        week=week)


def test_query_arguments_are_kept_and_none_left_out(app):
    with app.test_request_context("/"):
        dated = url_template("credit.company", "company_id", as_of="2026-03-02")
        assert (dated(5) == url_for("credit.company", company_id=5, as_of="2026-03-02")
                == "/credit/companies/5?as_of=2026-03-02")
        assert url_template("credit.company", "company_id", as_of=None)(5) == "/credit/companies/5"


def test_a_parameter_the_url_does_not_hold_once_is_refused(app):
    with app.test_request_context("/"):
        with pytest.raises(ValueError, match="exactly once"):
            UrlTemplate("credit.company", "company_id", "page")  # page would be a query argument, not in the path
        with pytest.raises(ValueError, match="exactly once"):
            UrlTemplate("credit.company", "company_id", page=UrlTemplate._MARKER)


def test_an_anchor_and_a_string_value_as_url_for(app):
    with app.test_request_context("/"):
        anchored = url_template("estates.detail", "estate_id", _anchor="contracts")
        assert anchored(3) == url_for("estates.detail", estate_id=3, _anchor="contracts") == "/estates/3#contracts"
        week = url_template("reports.cell", "week", campaign_id=7, street_id=3)
        assert week("a b/ü") == url_for("reports.cell", campaign_id=7, street_id=3, week="a b/ü")
