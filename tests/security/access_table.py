"""The one table of who may GET what: every route of the app is declared here.

Columns are the roles in ``ROLES``. Values: an HTTP status, or ``LOGIN`` for a
redirect to the login page. URL parameters are filled from the matrix world
(``tests/security/test_access_matrix.py``) with objects that lie inside the
street1 / company1 scope, so 403 means "the role may not", 404 "not the
user's to see", and 200 "allowed".

A route that is not in this table makes the matrix test fail: declare it.
"""
from __future__ import annotations

LOGIN = "login"
ROLES = ("anonymous", "admin", "officer", "leader", "street", "company")

ALL = (LOGIN, 200, 200, 200, 200, 200)
ADMIN_ONLY = (LOGIN, 200, 403, 403, 403, 403)
BUREAU_ONLY = (LOGIN, 200, 200, 403, 403, 403)
DISTRICT_READERS_ONLY = (LOGIN, 200, 200, 200, 403, 403)
NO_LEADER = (LOGIN, 200, 200, 403, 200, 200)
PUBLIC = (200, 200, 200, 200, 200, 200)
NEEDS_TOKEN = (401, 401, 401, 401, 401, 401)  # the JSON API: a session cookie is not enough

ACCESS: dict[str, tuple] = {
    # foundation
    "auth.login": (200, 302, 302, 302, 302, 302),  # a signed-in user is sent to the workbench
    "auth.change_password": ALL,
    "auth.users": ADMIN_ONLY,
    "auth.user_new": ADMIN_ONLY,
    "auth.user_edit": ADMIN_ONLY,
    "auth.user_disable": ADMIN_ONLY,
    "auth.user_reset_password": ADMIN_ONLY,
    "auth.user_sign_out": ADMIN_ONLY,
    "account.sessions_page": ALL,
    "account.throttles": ADMIN_ONLY,
    "dashboard.index": ALL,
    "notifications.index": ALL,
    "regions.index": ADMIN_ONLY,
    "regions.district_edit": ADMIN_ONLY,
    "regions.street_new": ADMIN_ONLY,
    "regions.street_edit": ADMIN_ONLY,
    "regions.community_new": ADMIN_ONLY,
    "regions.community_edit": ADMIN_ONLY,
    "audit.index": ADMIN_ONLY,
    "admin_reference.index": ADMIN_ONLY,
    "holidays.index": ADMIN_ONLY,
    "holidays.year_detail": ADMIN_ONLY,
    "holidays.template": ADMIN_ONLY,
    "complaint_clocks.index": ADMIN_ONLY,
    "complaint_clocks.edit": ADMIN_ONLY,
    "complaint_clocks.new": ADMIN_ONLY,
    "admin_reference.checklist": ADMIN_ONLY,
    "admin_reference.position_edit": ADMIN_ONLY,
    # a photo attached to street1's weekly report: companies never see weekly reports
    "attachments.download": (LOGIN, 200, 200, 200, 200, 404),
    "attachments.preview": (LOGIN, 200, 200, 200, 200, 404),
    "ops.healthz": PUBLIC,
    # background jobs: a finished export of the officer's, with its result file; only its owner sees it
    "jobs.index": ALL,
    "jobs.detail": (LOGIN, 404, 200, 404, 404, 404),
    "jobs.status": (LOGIN, 404, 200, 404, 404, 404),
    "jobs.download": (LOGIN, 404, 200, 404, 404, 404),
    # API: token pages for everyone but leaders; the JSON API needs a bearer token
    "api_tokens.index": NO_LEADER,
    "api_tokens.revoke": (LOGIN, 404, 200, 403, 404, 404),  # the token belongs to the officer
    "api_docs.docs": PUBLIC,
    "api-docs.openapi_json": PUBLIC,
    "api_me.me": (401, 401, 401, 401, 401, 401),  # a session cookie is not enough
    # The JSON API: every route needs a bearer token (tests/api/test_scoping.py checks every
    # endpoint × role with tokens). PUT-only routes are listed so that none goes undeclared.
    **{endpoint: NEEDS_TOKEN for endpoint in (
        "api_estates.estate_list", "api_estates.estate_detail", "api_companies.company_list",
        "api_companies.company_detail", "api_staff.staff_list", "api_campaigns.campaign_list",
        "api_campaigns.campaign_detail", "api_campaigns.enrolment_list", "api_campaigns.self_inspection_detail",
        "api_campaigns.self_inspection_save", "api_items.item_list", "api_items.item_detail",
        "api_reports.report_list", "api_reports.report_detail", "api_reports.report_update",
        "api_credit.ranking", "api_credit.company_score", "api_targets.target_values")},
    # campaigns
    "campaigns.acceptance_detail": ALL,
    "campaigns.acceptance_new": BUREAU_ONLY,
    "campaigns.acceptance_pdf": ALL,
    "campaigns.activate": BUREAU_ONLY,
    "campaigns.close": BUREAU_ONLY,
    "campaigns.reopen": BUREAU_ONLY,
    "campaigns.detail": ALL,
    "campaigns.edit": BUREAU_ONLY,
    "campaigns.enrol": BUREAU_ONLY,
    "campaigns.enrol_import": BUREAU_ONLY,
    "campaigns.enrol_template": BUREAU_ONLY,
    "campaigns.enrolment_detail": ALL,
    "campaigns.enrolments": ALL,
    "campaigns.index": ALL,
    "campaigns.item_detail": ALL,
    "campaigns.item_new": (LOGIN, 200, 200, 403, 200, 403),
    "campaigns.items": ALL,
    "campaigns.items_export": ALL,
    "campaigns.new": BUREAU_ONLY,
    "campaigns.notice_detail": ALL,
    "campaigns.notice_new": (LOGIN, 404, 404, 403, 403, 403),  # bureau users must name the estate (?estate=)
    "campaigns.notice_pdf": ALL,
    "campaigns.notices": ALL,
    "campaigns.self_inspection": ALL,
    "campaigns.self_inspection_return": BUREAU_ONLY,
    "campaigns.self_inspection_workbook": ALL,
    "campaigns.spot_check_detail": DISTRICT_READERS_ONLY,
    "campaigns.spot_check_new": BUREAU_ONLY,
    "campaigns.spot_checks": DISTRICT_READERS_ONLY,
    "campaigns.spot_check_rhythm": DISTRICT_READERS_ONLY,
    "campaigns.spot_check_samples": DISTRICT_READERS_ONLY,
    "campaigns.spot_check_sample": DISTRICT_READERS_ONLY,
    "campaigns.spot_check_sample_new": BUREAU_ONLY,
    "campaigns.survey": (LOGIN, 200, 200, 403, 200, 403),
    "campaigns.withdraw": BUREAU_ONLY,
    "campaigns.schemes": DISTRICT_READERS_ONLY,
    "campaigns.scheme_detail": DISTRICT_READERS_ONLY,
    "campaigns.scheme_export": DISTRICT_READERS_ONLY,
    "campaigns.scheme_copy": BUREAU_ONLY,
    "campaigns.scheme_edit": BUREAU_ONLY,
    "campaigns.scheme_item_new": BUREAU_ONLY,
    "campaigns.scheme_item_edit": BUREAU_ONLY,
    "campaigns.scheme_item_retire": BUREAU_ONLY,
    # companies
    "companies.archive": BUREAU_ONLY,
    "companies.certificate_delete": (LOGIN, 200, 200, 403, 403, 200),
    "companies.certificate_edit": (LOGIN, 200, 200, 403, 403, 200),
    "companies.certificate_new": (LOGIN, 200, 200, 403, 403, 200),
    "companies.create": BUREAU_ONLY,
    "companies.detail": ALL,
    "companies.edit": BUREAU_ONLY,
    "companies.export": (LOGIN, 200, 200, 200, 200, 403),
    "companies.import_file": BUREAU_ONLY,
    "companies.import_template": BUREAU_ONLY,
    "companies.index": (LOGIN, 200, 200, 200, 200, 403),
    "companies.mine": (LOGIN, 403, 403, 403, 403, 200),
    "companies.staff_detail": ALL,
    "companies.staff_edit": (LOGIN, 200, 200, 403, 403, 200),
    "companies.staff_index": (LOGIN, 200, 200, 200, 403, 200),
    "companies.staff_leave": (LOGIN, 200, 200, 403, 403, 200),
    "companies.staff_new": (LOGIN, 404, 404, 403, 403, 200),  # bureau users must name the company (?company_id=)
    # credit
    "credit.assessment": BUREAU_ONLY,
    "credit.clue": (LOGIN, 200, 200, 200, 200, 403),
    "credit.clue_new": (LOGIN, 403, 403, 403, 200, 403),
    "credit.clue_reject": BUREAU_ONLY,
    "credit.clues": (LOGIN, 200, 200, 200, 200, 403),
    "credit.company": (LOGIN, 200, 200, 200, 403, 200),
    "credit.decide_objection": (LOGIN, 302, 302, 403, 403, 403),  # no objection yet: sent to the event
    "credit.event": (LOGIN, 200, 200, 200, 403, 200),
    "credit.event_edit": (LOGIN, 302, 302, 403, 403, 403),  # only drafts are edited: sent to the event
    "credit.event_new": BUREAU_ONLY,
    "credit.event_notify": BUREAU_ONLY,
    "credit.event_revoke": BUREAU_ONLY,
    "credit.events": DISTRICT_READERS_ONLY,
    "credit.mine": (LOGIN, 403, 403, 403, 403, 302),  # sent to the company's own credit page
    "credit.notice_pdf": (LOGIN, 200, 200, 200, 403, 200),
    "credit.object_event": (LOGIN, 403, 403, 403, 403, 200),
    "credit.publication": ALL,
    "credit.publication_new": BUREAU_ONLY,
    "credit.publication_pdf": ALL,
    "credit.publication_stale": DISTRICT_READERS_ONLY,
    "credit.publications": ALL,
    "credit.ranking": DISTRICT_READERS_ONLY,
    "credit.ranking_export": DISTRICT_READERS_ONLY,
    "credit.report_pdf": (LOGIN, 200, 200, 200, 403, 200),
    "credit.rule_set": ALL,
    "credit.rules": ALL,
    # dashboard
    "dashboard.chart_indicators": (LOGIN, 200, 200, 200, 200, 403),
    "dashboard.chart_streets": DISTRICT_READERS_ONLY,
    "dashboard.chart_trend": (LOGIN, 200, 200, 200, 200, 403),
    "dashboard.chart_trend_table": (LOGIN, 200, 200, 200, 200, 403),  # the chart's data as a table
    "dashboard.monthly_report": (LOGIN, 200, 200, 200, 200, 403),
    # estates
    "estates.archive": BUREAU_ONLY,
    "estates.committee_action": (LOGIN, 200, 200, 403, 200, 403),
    "estates.committee_edit": (LOGIN, 200, 200, 403, 200, 403),
    "estates.committee_new": (LOGIN, 302, 302, 403, 302, 403),  # estate1 already has a committee: sent to its page
    "estates.committees": (LOGIN, 200, 200, 200, 200, 403),
    "estates.create": BUREAU_ONLY,
    "estates.detail": ALL,
    "estates.edit": BUREAU_ONLY,
    "estate_management.handover": BUREAU_ONLY,
    "estates.export": ALL,
    "estates.import_file": BUREAU_ONLY,
    "estates.import_template": BUREAU_ONLY,
    "estates.index": ALL,
    # reports
    "reports.bulletin": DISTRICT_READERS_ONLY,
    "reports.bulletin_pdf": DISTRICT_READERS_ONLY,
    "reports.bulletin_xlsx": DISTRICT_READERS_ONLY,
    "reports.cell": (LOGIN, 302, 302, 302, 302, 403),  # the report exists: sent to it
    "reports.detail": (LOGIN, 200, 200, 200, 200, 403),
    "reports.edit": (LOGIN, 403, 403, 403, 200, 403),
    "reports.index": (LOGIN, 200, 200, 200, 200, 403),
    "reports.overview": DISTRICT_READERS_ONLY,
    "reports.remove_attachment": (LOGIN, 403, 403, 403, 200, 403),
    "reports.return_": (LOGIN, 302, 302, 403, 403, 403),  # a draft cannot be returned: sent back with a message
    "reports.submit": (LOGIN, 403, 403, 403, 302, 403),  # an incomplete draft: sent back to the form
    # targets
    "targets.edit": ADMIN_ONLY,
    "targets.gap": (LOGIN, 200, 200, 200, 200, 403),
    "targets.index": (LOGIN, 200, 200, 200, 200, 403),
    # attachments: the thumbnail follows the photo's own rule
    "attachments.thumb": (LOGIN, 200, 200, 200, 200, 404),
    # public pages: the portal, the owner's complaint pages, survey voting, the PWA files
    **{endpoint: PUBLIC for endpoint in (
        "portal.index", "portal.campaigns", "portal.company", "portal.disclosures", "portal.estate",
        "portal.grades", "portal.lists", "portal.publication", "portal.publications", "portal.rule_set",
        "portal.search", "portal.sitemap", "portal.sitemap_part", "owner.start", "owner.new", "owner.track",
        "survey_vote.start", "survey_vote.thanks", "survey_vote.vote", "survey_vote.vote_by_room",
        "offline.manifest", "offline.service_worker", "ops.favicon")},
    "portal.campaign": (404, 404, 404, 404, 404, 404),  # the matrix campaign is running: only closed ones are public
    "portal.language": (302, 302, 302, 302, 302, 302),  # switches the language and goes back
    # the interview notice is issued, not published (通报/曝光 only): it does not exist on the portal
    "enforcement_public.document_pdf": (404, 404, 404, 404, 404, 404),
    # offline queue: the status of the user's own submission key (others get "not received")
    "offline.submission_status": ALL,
    # pickers: every signed-in user searches estates, companies and staff, the answers scoped (tests/pickers),
    # and communities (the region tree, which every role may see: tests/estates/test_estate_form_picker.py)
    "pickers.estates": ALL,
    "pickers.companies": ALL,
    "pickers.staff": ALL,
    "pickers.communities": ALL,
    # notification digests: the delivery log is the administrator's; settings are everyone's own
    "notifications.deliveries": ADMIN_ONLY,
    "notifications.settings": ALL,
    # safety registers (lifts, fire facilities): everyone reads in scope; the bureau and the company keep them
    **{endpoint: ALL for endpoint in (
        "safety.lifts", "safety.lifts_export", "safety.lift_detail", "safety.facilities",
        "safety.facilities_export", "safety.facility_detail", "safety.overdue", "safety.overdue_export")},
    **{endpoint: (LOGIN, 200, 200, 403, 403, 200) for endpoint in (
        "safety.lifts_import", "safety.lifts_template", "safety.lift_new", "safety.lift_edit", "safety.lift_retire",
        "safety.facilities_import", "safety.facilities_template", "safety.facility_new", "safety.facility_edit",
        "safety.facility_retire")},
    # enforcement: cases and issued steps are seen by the company and street concerned; proposals by the district
    "enforcement.index": ALL,
    "enforcement.cases": ALL,
    "enforcement.case": ALL,
    "enforcement.step": ALL,
    "enforcement.step_pdf": ALL,
    "enforcement.escalate": BUREAU_ONLY,
    "enforcement.interview": BUREAU_ONLY,
    "enforcement.refusal_new": BUREAU_ONLY,
    "enforcement.proposals": DISTRICT_READERS_ONLY,
    "enforcement.proposal": DISTRICT_READERS_ONLY,
    # contracts: service contracts (bureau, street and company edit), 前期物业 and party building
    # (bureau and street record), imports for the bureau
    "contracts.index": ALL,
    "contracts.export": ALL,
    "contracts.detail": ALL,
    "contracts.new": NO_LEADER,
    "contracts.edit": NO_LEADER,
    "contracts.import_file": BUREAU_ONLY,
    "contracts.import_template": BUREAU_ONLY,
    "contracts.preliminary_index": ALL,
    "contracts.preliminary_export": ALL,
    "contracts.preliminary_edit": (LOGIN, 200, 200, 403, 200, 403),
    "contracts.preliminary_import": BUREAU_ONLY,
    "contracts.preliminary_import_template": BUREAU_ONLY,
    "contracts.party_index": ALL,
    "contracts.party_export": ALL,
    "contracts.party_edit": (LOGIN, 200, 200, 403, 200, 403),
    "contracts.party_import": BUREAU_ONLY,
    "contracts.party_import_template": BUREAU_ONLY,
    # company filings per campaign: the bureau sets requirements, companies submit, everyone reads in scope
    "filings.index": ALL,
    "filings.export": ALL,
    "filings.requirement": ALL,
    "filings.requirement_export": ALL,
    "filings.requirement_new": BUREAU_ONLY,
    "filings.requirement_edit": BUREAU_ONLY,
    # complaints: a complaint of estate1 (company1's); bureau and street register, the bureau imports and
    # dispatches, the company imports its own repair log
    "complaints.index": ALL,
    "complaints.export": ALL,
    "complaints.detail": ALL,
    "complaints.routine": ALL,
    "complaints.new": (LOGIN, 200, 200, 403, 200, 403),
    "complaints.queue": BUREAU_ONLY,
    "complaints.import_hotline": BUREAU_ONLY,
    "complaints.rates": (LOGIN, 200, 200, 200, 200, 403),
    "complaints.import_repairs": (LOGIN, 403, 403, 403, 403, 200),
    "complaints.repair_template": (LOGIN, 403, 403, 403, 403, 200),
    "api_complaints.hotline_status": NEEDS_TOKEN,
    # satisfaction surveys: an open round on estate1; codes and the household register for bureau and street
    "surveys.index": ALL,
    "surveys.detail": ALL,
    "surveys.estate": ALL,
    "surveys.new": BUREAU_ONLY,
    "surveys.flagged": (LOGIN, 200, 200, 200, 200, 403),
    "surveys.sheet": (LOGIN, 200, 200, 403, 200, 403),
    "surveys.households": (LOGIN, 200, 200, 403, 200, 403),
}

# Routes left out on purpose, with the reason.
EXEMPT = {
    "static": "static files",
    "bootstrap.static": "Bootstrap's static files",
}
