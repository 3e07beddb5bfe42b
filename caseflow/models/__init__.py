"""All models, importable from one place (``from caseflow.models import Case``)."""
from caseflow.models.assignment import Assignment
from caseflow.models.attachment import Attachment
from caseflow.models.base import Base
from caseflow.models.case import Case, CaseCosigner
from caseflow.models.contact import Contact
from caseflow.models.disclosure import Disclosure
from caseflow.models.event import Event
from caseflow.models.fact import AssignmentFact
from caseflow.models.feedback import Feedback, FollowUp
from caseflow.models.holiday import Holiday
from caseflow.models.proposer import AccessLink, Proposer
from caseflow.models.reminder import Notification, Reminder, ReminderDelivery
from caseflow.models.reply import CoOpinion, Reply
from caseflow.models.job import Job
from caseflow.models.login_session import LoginSession
from caseflow.models.report import ReportDraft
from caseflow.models.security_event import SecurityEvent
from caseflow.models.session import Session
from caseflow.models.suggestion import SuggestedUnit, UnitSuggestion
from caseflow.models.unit import Unit
from caseflow.models.user import ApiToken, LoginAttempt, User
from caseflow.models.vocabulary import Category, ResultClass

__all__ = [
    "AccessLink", "ApiToken", "Assignment", "AssignmentFact", "Attachment", "Base", "Case", "CaseCosigner", "Category",
    "CoOpinion", "Contact", "Disclosure", "Event", "Feedback", "FollowUp", "Holiday",
    "Job", "LoginAttempt", "LoginSession", "Notification", "Proposer", "Reminder", "ReminderDelivery", "Reply", "ReportDraft",
    "ResultClass", "SecurityEvent", "Session", "SuggestedUnit", "Unit", "UnitSuggestion", "User",
]
