"""Weekly progress reports from street offices (每周五报送), the bureau's overview
and the district bulletin (工作简报).

One report per campaign × street × ISO week (``models.WeeklyReport``).

Rules
-----
- **Due time**: the campaign's report weekday (Friday) at its due time (18:00,
  Asia/Shanghai); when that day is a public holiday, the last working day
  before it in the same week; a make-up working weekend never moves it; a week
  with no working day up to the weekday moves it to the next working day
  (``weeks.due_at_for``). Stored on the row (UTC) when the report is created.
- **Who reports**: streets with a non-withdrawn enrolment in the campaign, from
  the week of their first enrolment (made before that week's due time) until
  all their enrolments are withdrawn. **Which weeks**: from the campaign's first
  phase start to its last phase end, or to the current week.
  The grid's spans (``services.grid_street_spans``) are kept per process until
  the campaign data changes (the ``campaign_progress`` data generation, as the
  campaign page; ``REPORT_SPANS_CACHE_SIZE``, 0 = always live).
- **States**: draft → submitted → returned (with the bureau's comment) →
  resubmitted (→ returned …). A sent report is locked. The street may file a
  missing week late; it may not file a future week.
- **On time** = 按时定稿: the version that stands (sent and not returned since, the
  latest submission) arrived by the due time; **late** otherwise. A report returned
  and resubmitted after the due time is late even if its first submission was on
  time (按时首报, still shown); a report returned and not sent again is not on time
  once its due time has passed. The same rule in the grid, the dashboard, the
  bulletin, the lists' filter and the reporting-rate indicator (``models``:
  ``stands_on_time`` / ``WeeklyReport.on_time_clause``; ``docs/campaigns.md``).
  **Missing** = expected, due time passed, never submitted (including a draft
  never sent). See ``services.CellStatus``.
- **Snapshot**: the system figures are stored on the report at each submission
  (a resubmission refreshes them; the audit log keeps each as sent). Which figures
  a report shows — saved while it stands sent, live otherwise (a draft, a returned
  report) — is one rule for every page, document and the API:
  ``services.shows_saved_figures`` / ``services.figures_shown``.
- **Notifications**: ``flask reports remind`` (idempotent; run it e.g. hourly
  or at 09:00 and 18:30): on the due day before the due time it reminds the
  streets that have not submitted; after a due time (two weeks back) it notifies
  each street whose report is missing and, once per campaign and week, the
  bureau. A return notifies the street; a resubmission notifies the officer who
  returned it.
- **Bulletin**: a digest (status of the week, district figures, one row per
  street, each street's progress and problems trimmed to 150 characters) and,
  in the PDF by default, an annex 各街道报送情况（全文）: every sent report in
  full (snapshot figures, entered figures, all narratives, attachment names,
  contact, account and time), each street from a new page; streets that have
  not sent (missing, returned, not yet due) are listed as 未报送. The annex is
  the default because the PDF is what is printed, circulated and filed: the
  digest's excerpts end in "…", and a reader on paper cannot open the reports
  in the system. ``?annex=0`` gives the digest alone (a short copy to circulate).
  Only the district's readers (bureau and leaders) get the bulletin.

For other features
------------------
- ``figures.street_week_figures(campaign, street_id, iso_year, iso_week, now=None) -> dict``
- ``figures.figures_by_street(campaign, week, street_ids=None, now=None) -> {street_id: dict}``
- ``services.report_grid(campaign, weeks, street_ids=None, now=None) -> Grid``
- ``services.figures_shown(report, now=None) -> (figures, live)``
- ``services.punctuality(campaign, weeks=None, now=None) -> PunctualitySummary``
- ``services.recent_punctuality(weeks=8, now=None) -> PunctualitySummary``
"""
