"""All models, imported here so Alembic and the app see one metadata."""

from .accounts import ROLE_LABELS, RecoveryCode, Role, Team, TeamKind, User, organization_membership
from .audit import AuditEvent
from .base import new_uuid, utcnow
from .changes import (
    EVERY_SERVICE,
    REINDEX,
    DirectoryChange,
    bulk_load_marked,
    record_change,
    track_directory_changes,
)
from .claims import ClaimMethod, ClaimStatus, ListingClaim
from .directory import (
    ACCESSIBILITY_FEATURES,
    Accessibility,
    Address,
    AreaType,
    Attribute,
    CapacityStatus,
    Contact,
    CostOption,
    CostType,
    Language,
    ListingStatus,
    Location,
    LocationType,
    Organization,
    OrganizationIdentifier,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceStatus,
    Taxonomy,
    TaxonomyTerm,
    VerifiedHow,
)
from .insights import (
    InsightOutcomeWeek,
    InsightPageCache,
    InsightReferralFact,
    InsightReferralNeed,
    InsightReferralWeek,
    InsightReportSent,
    InsightScorePair,
    InsightSearchDay,
    InsightSearchWeek,
    InsightService,
    InsightServiceKey,
    InsightState,
    InsightSubscription,
    InsightTimingWeek,
    InsightZeroQuery,
)
from .jobs import JobLease
from .mail import OutboundEmail
from .providers import (
    LEGAL_FORM_LABELS,
    QUALITY_CHECK_LABELS,
    LegalForm,
    MicroProviderProfile,
    QualityCheck,
    QualityCheckDocument,
    QualityCheckType,
)
from .referrals import (
    CloseOutcome,
    ContactMethod,
    DeclineReason,
    Referral,
    ReferralEvent,
    ReferralNudge,
    ReferralStatus,
    WellbeingScore,
)
from .registration import DraftSectionSaved, EmailVerification, OrganizationSetup, TaskProgress
from .reports import ProblemReport, ReportStatus
from .revisions import ListingRevision, RevisionStatus
from .search import SearchLog, Synonym
from .submissions import FormSubmission
from .upkeep import ChaseStage, ListingHold, ListingReminder, QualityCheckNotice, QualityCheckNoticeKind

__all__ = [name for name in dir() if not name.startswith("_")]
