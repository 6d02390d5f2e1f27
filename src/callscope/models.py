"""Every table, imported in one place so Alembic and tests see the whole metadata."""

from callscope.accounts.models import Account, ApiToken, Role, User, WebSession
from callscope.analysis.models import TranscriptRecord
from callscope.calls.models import Call, CallEvent, CallNote
from callscope.categories.models import Category
from callscope.db.base import Base
from callscope.intel.models import CallInsight, CategoryCorrection
from callscope.jobs.models import Job, JobState
from callscope.numbers.models import ExhaustionPolicy, Pool, Source, TrackingNumber
from callscope.reports.models import (
    CallCredit,
    ReportDay,
    ReportPhrase,
    ReportPlace,
    ReportState,
)
from callscope.sites.models import Site
from callscope.tracking.models import PageView, VisitorSession

__all__ = [
    "Account",
    "ApiToken",
    "Base",
    "Call",
    "CallCredit",
    "CallEvent",
    "CallInsight",
    "CallNote",
    "Category",
    "CategoryCorrection",
    "ExhaustionPolicy",
    "Job",
    "JobState",
    "PageView",
    "Pool",
    "ReportDay",
    "ReportPhrase",
    "ReportPlace",
    "ReportState",
    "Role",
    "Site",
    "Source",
    "TrackingNumber",
    "TranscriptRecord",
    "User",
    "VisitorSession",
    "WebSession",
]
