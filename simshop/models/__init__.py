"""ORM models, one module per area; import them from here."""

from simshop.models.assessment import (  # noqa: F401
    Forecast,
    GradeSettings,
    PublishedGrade,
    Quiz,
    QuizSubmission,
)
from simshop.models.competition import Competition, CompetitionGame, ProjectorLink  # noqa: F401
from simshop.models.explanation import RoundExplanation, TeamExplanation
from simshop.models.game import (
    Decision,
    DecisionSource,
    Game,
    GameStaff,
    GameStatus,
    IssuedCredentials,
    Player,
    RosterJob,
    RosterJobStatus,
    Round,
    RoundResult,
    RoundStatus,
    ScheduleMode,
    StaffRole,
    Team,
)
from simshop.models.lti import LtiAccount, LtiLaunchState, LtiLink, LtiPlatform  # noqa: F401
from simshop.models.scenario import ScenarioDraft  # noqa: F401
from simshop.models.teamwork import (  # noqa: F401
    AssessmentSettings,
    Memo,
    MemoCriterion,
    MemoKind,
    MemoReview,
    MemoScoring,
    PeerEvaluation,
    PeerRating,
)
from simshop.models.user import Role, User

__all__ = [
    "Decision",
    "DecisionSource",
    "Game",
    "GameStaff",
    "GameStatus",
    "IssuedCredentials",
    "Player",
    "Role",
    "RosterJob",
    "RosterJobStatus",
    "Round",
    "RoundExplanation",
    "RoundResult",
    "RoundStatus",
    "ScheduleMode",
    "StaffRole",
    "Team",
    "TeamExplanation",
    "User",
]
