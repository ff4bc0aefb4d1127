"""Imports every model so that SQLAlchemy and Alembic see the whole schema."""
from .api.models import ApiToken  # noqa: F401
from .attachments.models import Attachment  # noqa: F401
from .audit.models import AuditLog  # noqa: F401
from .auth.models import LoginThrottle, User, UserSession  # noqa: F401
from .campaigns.models import (  # noqa: F401
    Acceptance,
    AcceptanceItemVerdict,
    Campaign,
    CampaignPhase,
    CampaignScheme,
    ChecklistItem,
    ChecklistTemplate,
    Enrolment,
    ItemTransition,
    RectificationItem,
    RectificationNotice,
    SchemePhase,
    SelfInspection,
    SelfInspectionAnswer,
    SpotCheck,
    SurveyRecord,
)
from .companies.models import Certificate, CertificateType, Company, Position, Staff  # noqa: F401
from .complaints.matching import EstateAlias  # noqa: F401
from .complaints.models import Complaint, ComplaintClock, ComplaintTransition, RoutineSupervision  # noqa: F401
from .contracts.models import ContractFee, PartyBuilding, PreliminaryService, ServiceContract  # noqa: F401
from .core.generations import DataGeneration  # noqa: F401
from .core.holidays.models import HolidayDay, HolidayYear  # noqa: F401
from .credit.models import (  # noqa: F401
    CreditClue,
    CreditEvent,
    CreditGrade,
    CreditObjection,
    CreditPublication,
    CreditPublicationRow,
    CreditRuleItem,
    CreditRulePart,
    CreditRuleSet,
    CreditRuleSetYear,
)
from .documents.models import ImportMapping  # noqa: F401
from .enforcement.models import (  # noqa: F401
    EnforcementCase,
    EnforcementFact,
    EnforcementProposal,
    EnforcementRefusal,
    EnforcementRung,
    EnforcementStep,
    LegalArticle,
)
from .estates.management import EstateManagement  # noqa: F401
from .estates.models import Estate, OwnersCommittee  # noqa: F401
from .filings.models import CompanyFiling, FilingRequirement  # noqa: F401
from .jobs.models import Job  # noqa: F401
from .notifications.models import Notification  # noqa: F401
from .offline.models import SubmissionKey  # noqa: F401
from .regions.models import Community, District, Street  # noqa: F401
from .reports.models import ReportTransition, WeeklyReport  # noqa: F401
from .safety.models import FireFacility, Lift, SafetyItemLink  # noqa: F401
from .surveys.models import (  # noqa: F401
    Household,
    SurveyAnswer,
    SurveyAnswerTally,
    SurveyCode,
    SurveyQuestion,
    SurveyQuestionSet,
    SurveyRound,
    SurveyRoundEstate,
    SurveyVote,
    SurveyVoteTally,
)
from .targets.models import Target, TargetSnapshot  # noqa: F401
