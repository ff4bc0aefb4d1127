"""The page benchmark (bench/pages.py) covers every page: its list comes from the URL map, and a GET
route is either benchmarked (as the roles that open it) or left out with a reason — so a new page
cannot be forgotten."""
from __future__ import annotations

from bench import pagelist


def test_every_get_route_is_benchmarked_or_excluded_with_a_reason(app):
    planned, left_out = pagelist.plan(app)
    routes = {rule.endpoint for rule in pagelist.get_rules(app)}
    assert {p.endpoint for p in planned} | set(left_out) == routes
    not_planned = sorted(endpoint for endpoint, reason in left_out.items() if reason.startswith("NOT PLANNED"))
    assert not not_planned, ("benchmark these routes (declare who opens them in tests/security/access_table.py) "
                             "or list them in bench/pagelist.py EXCLUDED with the reason: " + ", ".join(not_planned))
    assert all(reason.strip() for reason in pagelist.EXCLUDED.values())


def test_no_stale_exclusions_or_overrides(app):
    routes = {rule.endpoint for rule in pagelist.get_rules(app)}
    stale = sorted((set(pagelist.EXCLUDED) | set(pagelist.ROLE_OVERRIDES) | set(pagelist.QUERY_ARGUMENTS)) - routes)
    assert not stale, f"remove routes that no longer exist from bench/pagelist.py: {stale}"


def test_every_planned_route_has_roles_and_fillable_arguments(app):
    planned, _left_out = pagelist.plan(app)
    assert not pagelist.unfillable(planned)
    known = {"anonymous", "admin", *pagelist.LOGGED_IN}
    assert all(p.roles and set(p.roles) <= known for p in planned)
    by_endpoint = {p.endpoint: p for p in planned}
    # the bureau officer opens the estate list; the street and the company see theirs
    assert by_endpoint["estates.index"].roles == ("officer", "street", "company")
    assert by_endpoint["audit.index"].roles == ("admin",)  # the officer may not: the administrator
    assert by_endpoint["portal.index"].roles == ("anonymous",)
    assert by_endpoint["api_estates.estate_list"].api


FORM = """
<form method="get" class="filter-bar" role="search">
  <input type="hidden" name="campaign_id" value="7">
  <input type="search" name="q" value="">
  <select name="street"><option value="">全部街道</option><option value="3">城东街道</option></select>
  <select name="status"><option value="">全部</option><option value="open">整改中</option></select>
  <input type="date" name="since">
</form>
<form method="get" action="/reports/monthly"><select name="month"><option value="2026-11">11月</option></select></form>
<form method="post"><input name="csrf_token" value="x"><select name="x"><option value="1">1</option></select></form>
<table><tbody><tr><td><a href="/estates/1">阳光花园1期</a></td></tr></tbody></table>
"""


def test_filter_variants_come_from_the_list_pages_own_filter_form():
    variants = dict(pagelist.filter_variants(FORM, "/campaigns/items?campaign_id=7"))
    assert variants == {
        "q=阳光": "/campaigns/items?campaign_id=7&q=%E9%98%B3%E5%85%89",
        "street=3": "/campaigns/items?campaign_id=7&street=3",
        "status=open": "/campaigns/items?campaign_id=7&status=open",
    }


def test_the_query_counter_counts_only_the_measuring_thread():
    """A job a page started runs on another thread: its statements are not the page's."""
    import threading

    from bench.pages import QueryCounter

    counter = QueryCounter()
    counter()
    other = threading.Thread(target=lambda: [counter() for _ in range(5)])
    other.start()
    other.join()
    counter()
    assert counter.count == 2


def test_a_download_that_became_a_job_is_measured_as_a_page():
    from flask import Response, redirect

    from bench.pages import is_job_redirect

    assert is_job_redirect(redirect("/jobs/12"))
    assert not is_job_redirect(redirect("/login?next=%2Festates%2Fexport.xlsx"))
    assert not is_job_redirect(Response(b"PK", mimetype="application/zip"))


def test_the_floor_is_pooled_over_its_samples_through_the_run():
    """Every ratio divides by the floor: it is the median of all its samples, not of one lucky moment."""
    from bench.pages import pooled

    early = {"times": [0.004, 0.004, 0.004], "queries": 4, "cold_times": [0.009], "cold_queries": 4}
    late = {"times": [0.008, 0.008, 0.008], "queries": 4, "cold_times": [0.013], "cold_queries": 4}
    drifted = {"times": [0.010, 0.010, 0.010], "queries": 4, "cold_times": [0.015], "cold_queries": 4}
    row = pooled([early, late, drifted])
    assert row["median"] == 0.008
    assert row["cold_median"] == 0.013
    assert row["samples"] == 3
    assert len(row["times"]) == 9


def test_a_first_request_is_compared_with_the_floors_own_first_request():
    """Both sides of the ratio pay the database's cost of the change; the stricter comparison is kept beside."""
    from bench.pages import _speed

    floor = {"median": 0.005, "cold_median": 0.010}
    page = {"median": 0.012, "cold_median": 0.025}  # 2.4× warm; 2.5× the floor's first request, 5× its warm time
    verdict = _speed(page, floor)
    assert verdict["ratio"] == 0.012 / 0.005
    assert verdict["cold_ratio"] == 2.5
    assert verdict["cold_vs_warm"] == 5.0
    assert verdict["speed"] and not verdict["speed_strict"]
    slow = _speed({"median": 0.012, "cold_median": 0.035}, floor)  # 3.5× the floor's first request
    assert not slow["speed"]
    warm_slow = _speed({"median": 0.016, "cold_median": 0.016}, floor)  # 3.2× warm
    assert not warm_slow["speed"]
    # A run that did not measure the floor after a change compares with its warm median, as before.
    assert _speed(page, {"median": 0.005})["cold_ratio"] == 5.0


def test_the_query_counter_tells_a_lists_total_from_the_other_statements():
    from bench.pages import QueryCounter

    counter = QueryCounter()
    counter(None, None, "SELECT staff.id FROM staff LIMIT ?")
    counter(None, None, "SELECT count(*) AS count_1 \nFROM (SELECT 1 FROM staff LIMIT ?) AS anon_1")
    assert (counter.count, counter.totals) == (2, 1)
    counter.reset()
    assert (counter.count, counter.totals) == (0, 0)


def test_a_count_that_grows_with_the_data_is_not_flat_but_a_stated_reason_is():
    from bench.pages import flatness

    def row(queries, totals=0, kind="html"):
        return {"queries": queries, "totals": totals, "kind": kind}

    assert flatness({1: row(8), 10: row(8), 100: row(8)}) == (True, "")
    # One statement more per scale: a relation loaded row by row.
    assert not flatness({1: row(8), 10: row(9), 100: row(10)})[0]
    assert not flatness({1: row(8), 100: row(9)})[0]
    # A short first page is the whole list; a full one counts its total: the other statements stay the same.
    ok, why = flatness({1: row(8, totals=0), 10: row(9, totals=1), 100: row(9, totals=1)})
    assert ok and "total" in why
    # Two counts more is not that.
    assert not flatness({1: row(8, totals=0), 100: row(10, totals=2)})[0]
    # Nor a count that came with another statement.
    assert not flatness({1: row(8, totals=0), 100: row(10, totals=1)})[0]
    # A download answered inline at 1× and by a job at 100×: each answer's own count is judged.
    ok, why = flatness({1: row(5, kind="xlsx"), 10: row(5, kind="xlsx"), 100: row(3, kind="job")})
    assert ok and "job 3" in why
    assert not flatness({1: row(5, kind="xlsx"), 10: row(6, kind="xlsx"), 100: row(3, kind="job")})[0]
    # Rows of an older run carry no tally of totals: nothing to explain with.
    assert not flatness({1: {"queries": 8, "kind": "html"}, 100: {"queries": 9, "kind": "html"}})[0]
