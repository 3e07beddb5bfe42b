"""答复函: the reply letter of one reply, as a GB/T 9704 PDF."""
from __future__ import annotations

from flask_babel import gettext as _

from caseflow import clock
from caseflow.i18n import N_, Labels, in_chinese
from caseflow.models import Reply
from caseflow.reports.render import render_pdf

ADDRESSEE_SUFFIX = Labels({"npc_suggestion": N_("代表"), "cppcc_proposal": N_("委员")})


def chinese_date(day) -> str:
    """2025年3月3日 (in a document; a page in English shows 2025-3-3)."""
    return _("%(year)s年%(month)s月%(day)s日", year=day.year, month=day.month, day=day.day)


def addressee(case) -> str:
    """The letter's salutation: 「王慧敏委员」 for a person, the name alone for a party or a group."""
    lead = case.lead_proposer
    return lead.name + (ADDRESSEE_SUFFIX[case.body] if lead.type == "individual" else "")


@in_chinese
def reply_letter_pdf(reply: Reply) -> bytes:
    case = reply.assignment.case
    day = (reply.replied_at or clock.now()).astimezone(clock.LOCAL_TZ).date()
    return render_pdf(
        "reply_letter.html",
        unit=reply.assignment.unit.name,
        doc_number=reply.doc_number,
        mark=reply.result_class.code if reply.result_class else "",
        signer_line=f"签发人：{reply.signer.name}" if reply.signer else "（未签发）",
        addressee=addressee(case),
        paragraphs=[p.strip() for p in reply.text.splitlines() if p.strip()]
        or [f"您提出的《{case.title}》已收悉，答复见附件。"],
        date=chinese_date(day),
        contact_name=reply.contact_name,
        contact_phone=reply.contact_phone,
        cc=reply.cc,
    )
