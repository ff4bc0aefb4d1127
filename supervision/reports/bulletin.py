"""The district bulletin (工作简报) as plain data, for the page, the PDF and Excel."""
from __future__ import annotations

from flask_babel import gettext as _

from ..core.timeutil import to_local
from ..documents.excel import Column, write_workbook
from .figures import SYSTEM_ROWS, rectification_rate
from .services import Bulletin, CellStatus
from ..templating import provisional_text
from .weeks import WEEKDAY_NAMES, due_wording


def _when(value) -> str:
    if value is None:
        return ""
    local = to_local(value)
    return f"{local:%Y-%m-%d %H:%M}（{WEEKDAY_NAMES[local.weekday()]}）"


def _hours_late(row) -> float | None:
    report = row.report
    if report is None or not report.is_late:
        return None
    return round((report.first_submitted_at - report.due_at).total_seconds() / 3600, 1)


def paragraphs(text: str | None) -> list[str]:
    """A narrative as the street typed it, one entry per non-blank line (nothing cut)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


NUMERALS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三 (headings of the annex; beyond 99 in digits)."""
    if not 0 < n < 100:
        return str(n)
    tens, units = divmod(n, 10)
    return ((NUMERALS[tens] if tens > 1 else "") + "十" if tens else "") + (NUMERALS[units] if units else "")


def _entered_list(row, definitions: list[dict]) -> list[dict]:
    """A sent report's entered figures under the bulletin's labels, then any the report was sent
    with that the campaign's list no longer has (under the label they were sent with)."""
    if not row.sent:
        return []
    known = {d["code"] for d in definitions}
    items = [{"label": d["label"], "unit": d.get("unit") or "", "value": row.entered.get(d["code"])}
             for d in definitions]
    for entry in row.report.entered_figures or []:
        if isinstance(entry, dict) and entry.get("code") not in known and entry.get("label"):
            items.append({"label": entry["label"], "unit": entry.get("unit") or "", "value": entry.get("value")})
    return items


def bulletin_plain(b: Bulletin) -> dict:
    """Everything the bulletin shows, as plain values (no ORM objects)."""
    rows = []
    for row in b.rows:
        report = row.report
        sent = row.sent
        rows.append({
            "street": row.street.name,
            "status": row.cell.status.label,
            "status_code": row.cell.status.value,
            "badge": row.cell.status.badge,
            "late": row.cell.late,
            "report_id": report.id if report else None,
            "first_submitted": _when(report.first_submitted_at) if report else "",
            "last_submitted": _when(report.submitted_at) if report else "",
            "returned_at": _when(report.returned_at) if report else "",
            "return_count": report.return_count if report else 0,
            "hours_late": _hours_late(row),
            "figures": dict(row.figures),
            "figures_live": row.figures_live,
            "entered": dict(row.entered),
            "sent": row.sent,
            "progress": (report.progress or "") if row.sent else "",
            "problems": (report.problems or "") if row.sent else "",
            "next_week_plan": (report.next_week_plan or "") if row.sent else "",
            "contact": " ".join(filter(None, [report.contact_person, report.contact_phone])) if row.sent else "",
            # For the annex (the full reports): who sent what, when, and all of it.
            "sender": (report.submitted_by.display_name if report.submitted_by else "") if sent else "",
            "submission_count": report.submission_count if sent else 0,
            "figures_at": _when(report.figures_at) if sent else "",
            "rectification_rate": rectification_rate(row.figures),
            "entered_list": _entered_list(row, b.definitions),
            "paragraphs": {"progress": paragraphs(report.progress), "problems": paragraphs(report.problems),
                           "next_week_plan": paragraphs(report.next_week_plan)} if sent else {},
            "attachments": list(row.attachments),
        })
    counts = {status.value: 0 for status in CellStatus}
    for row in b.rows:
        counts[row.cell.status.value] += 1
    system_rows = [{
        "label": str(r.label), "unit": str(r.unit), "week_code": r.week_code, "total_code": r.total_code,
        "week": b.totals.get(r.week_code, 0) if r.week_code else None, "total": b.totals.get(r.total_code, 0),
    } for r in SYSTEM_ROWS]
    weekday = b.campaign.report_weekday if b.campaign.report_weekday is not None else 4
    return {
        "bureau_name": b.bureau_name,
        "district_name": b.district_name,
        "campaign": b.campaign.name,
        "campaign_id": b.campaign.id,
        "week": str(b.week),
        "week_label": b.week.label,
        "week_span": f"{b.week.monday:%Y年}{b.week.span}",
        "issue": b.issue,
        "due": _when(b.due_at),
        "holiday_note": due_wording(b.week, weekday),
        "provisional": provisional_text(b.due_at),
        "generated": _when(b.generated_at),
        "expected": len(b.rows),
        "sent": sum(1 for r in b.rows if r.sent),
        "counts": counts,
        "late_count": len(b.late),
        "rows": rows,
        "system_rows": system_rows,
        "totals": dict(b.totals),
        "rectification_rate": rectification_rate(b.totals),
        "definitions": [dict(d, total=b.entered_totals.get(d["code"], 0)) for d in b.definitions],
        # The annex's order: every street in the bulletin's order, numbered 一、二、… among those sent.
        "sent_rows": [dict(r, annex_no=chinese_number(i)) for i, r in enumerate((r for r in rows if r["sent"]), 1)],
        "unsent_rows": [r for r in rows if not r["sent"]],
        "late": [{"street": r.street.name, "submitted": _when(r.report.first_submitted_at),
                  "hours_late": _hours_late(r)} for r in b.late],
        "missing": [r.street.name for r in b.missing],
        "returned": [r.street.name for r in b.returned],
        "pending": [r.street.name for r in b.pending],
        "highlights": [{"street": s, "text": t} for s, t in b.highlights],
        "requests": [{"street": s, "text": t} for s, t in b.requests],
    }


def bulletin_columns(plain: dict) -> list[Column]:
    columns = [
        Column("street", _("街道"), export=lambda r: r["street"], width=14),
        Column("status", _("报送情况"), export=lambda r: r["status"], width=10),
        Column("first_submitted", _("首次报送时间"), export=lambda r: r["first_submitted"], width=22),
        Column("last_submitted", _("最近报送时间"), export=lambda r: r["last_submitted"], width=22),
        Column("hours_late", _("迟报时长（小时）"), export=lambda r: r["hours_late"], width=10),
        Column("returned_at", _("最近退回时间"), export=lambda r: r["returned_at"], width=22),
        Column("return_count", _("退回次数"), export=lambda r: r["return_count"], width=8),
        Column("source", _("系统数据来源"), export=lambda r: r["source"], width=12),
    ]
    for row in SYSTEM_ROWS:
        label = str(row.label)
        if row.week_code:
            columns.append(Column(row.week_code, _("%(label)s·本周", label=label),
                                  export=lambda r, c=row.week_code: r["figures"].get(c, 0), width=10))
        columns.append(Column(row.total_code, _("%(label)s·累计", label=label) if row.week_code else label,
                              export=lambda r, c=row.total_code: r["figures"].get(c, 0), width=10))
    for definition in plain["definitions"]:
        header = definition["label"] + (f"（{definition['unit']}）" if definition.get("unit") else "")
        columns.append(Column(f"entered_{definition['code']}", header,
                              export=lambda r, c=definition["code"]: r["entered"].get(c), width=12))
    return columns


def bulletin_workbook(plain: dict) -> bytes:
    """Per-street figures of the week, a total row, and the narratives on a second sheet."""
    rows = []
    for row in plain["rows"]:
        rows.append(dict(row, source=_("系统实时统计") if row["figures_live"] else _("报送时快照")))
    rows.append({
        "street": _("合计"), "status": _("应报 %(n)s，已报 %(m)s", n=plain["expected"], m=plain["sent"]),
        "first_submitted": "", "last_submitted": "", "hours_late": None, "returned_at": "",
        "return_count": sum(r["return_count"] for r in plain["rows"]), "source": "",
        "figures": plain["totals"], "entered": {d["code"]: d["total"] for d in plain["definitions"]},
    })
    narratives = [[_("街道"), _("报送情况"), _("填报人"), _("本周工作进展"), _("存在问题及需协调事项"), _("下周工作计划")]]
    for row in plain["rows"]:
        narratives.append([row["street"], row["status"], row["contact"], row["progress"], row["problems"],
                           row["next_week_plan"]])
    title = f"{plain['week']}"
    return write_workbook(bulletin_columns(plain), rows, title=title,
                          extra_sheets={_("工作进展"): narratives})
