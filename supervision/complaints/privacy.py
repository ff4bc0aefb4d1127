"""Who sees a complainant's name and phone: the bureau and the street in full (each view logged),
everyone else masked (138****1234); public pages never show either."""
from __future__ import annotations

from ..audit.services import record

CONTACT_VIEW = "complaint.view_contact"  # the audit action of each full view


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * len(digits)


def mask_name(name: str | None) -> str:
    if not name:
        return ""
    name = name.strip()
    return name[0] + "*" * max(1, len(name) - 1)


def masked_contact(name: str | None, phone: str | None) -> str:
    """Name and phone masked, as one cell: "张* 138****1234"."""
    return " ".join(p for p in (mask_name(name), mask_phone(phone)) if p)


def sees_full_contact(user) -> bool:
    """The bureau's roles and the street offices; never a company."""
    return bool(user is not None and (user.sees_district or user.is_street))


def contact(complaint, user, *, log: bool = True) -> tuple[str, str, bool]:
    """(name, phone, full?) as ``user`` may see them; a full view is recorded in the audit log."""
    if sees_full_contact(user):
        if log and (complaint.complainant_name or complaint.complainant_phone):
            record(CONTACT_VIEW, complaint, actor=user)
        return complaint.complainant_name or "", complaint.complainant_phone or "", True
    return mask_name(complaint.complainant_name), mask_phone(complaint.complainant_phone), False
