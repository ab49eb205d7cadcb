"""The LTI services SimShop calls on a course's platform: the roster (Names and Role
Provisioning Services, :func:`sync_roster`) and grades (Assignment and Grade Services:
:func:`ensure_grade_column`, :func:`post_grades`); plus the course links of a game.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.models import Game, LtiAccount, LtiLink
from simshop.models.user import utcnow
from simshop.services import gradebook
from simshop.services import teams as teams_service
from simshop.services.lti_keys import _http, access_token
from simshop.services.lti_landing import _account
from simshop.services.lti_platforms import _check_url, _enabled
from simshop.services.lti_protocol import (
    LINEITEM_TYPE,
    LINEITEMS_TYPE,
    SCOPE_LINEITEM,
    SCOPE_MEMBERSHIPS,
    SCOPE_SCORE,
    LtiError,
    is_instructor_role,
)
from simshop.services.uow import transaction

# --------------------------------------------------------------------------- services


def links_of(session: Session, game: Game) -> list[LtiLink]:
    return list(
        session.scalars(select(LtiLink).where(LtiLink.game_id == game.id).order_by(LtiLink.id))
    )


def link_of(session: Session, game: Game, link_id: int) -> LtiLink | None:
    link = session.get(LtiLink, link_id)
    return link if link is not None and link.game_id == game.id else None


def _next_page(headers: dict[str, str]) -> str | None:
    for part in headers.get("link", "").split(","):
        if 'rel="next"' in part and "<" in part and ">" in part:
            return part[part.index("<") + 1 : part.index(">")]
    return None


@dataclass(frozen=True)
class RosterSync:
    created: int
    enrolled: int
    skipped_instructors: int


def sync_roster(session: Session, link: LtiLink, key: RSAKey) -> RosterSync:
    """Enrol the course's active learners (NRPS) into the link's game; accounts are created
    for learners SimShop has not seen. The platform is read first, then one transaction
    writes."""
    if not link.memberships_url:
        raise LtiError("no_memberships_service")
    platform, game = _enabled(link.platform), session.get(Game, link.game_id)
    assert game is not None
    token = access_token(platform, [SCOPE_MEMBERSHIPS], key)
    members: list[dict[str, Any]] = []
    url: str | None = link.memberships_url
    while url:
        headers, answer = _http(
            "GET",
            url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
            },
        )
        if not isinstance(answer, dict) or not isinstance(answer.get("members"), list):
            raise LtiError("service_bad_answer", url=url)
        members.extend(m for m in answer["members"] if isinstance(m, dict))
        url = _next_page(headers)
    created = enrolled = skipped = 0
    with transaction(session):
        for member in members:
            subject = member.get("user_id")
            if not isinstance(subject, str) or member.get("status", "Active") != "Active":
                continue
            roles = [str(r) for r in member.get("roles", [])]
            if is_instructor_role(roles):
                skipped += 1
                continue
            known = session.scalar(
                select(LtiAccount).where(
                    LtiAccount.platform_id == platform.id, LtiAccount.subject == subject
                )
            )
            user = _account(session, platform.id, subject, member, instructor=False)
            created += known is None
            if teams_service.player_for(session, game.id, user) is None:
                teams_service.join_game(session, user, game.join_code)
                enrolled += 1
    return RosterSync(created, enrolled, skipped)


def published_grades(session: Session, game: Game) -> dict[int, float] | None:
    """The gradebook's published grades, or None while nothing is published."""
    return gradebook.published_grades(session, game) or None


def can_create_grade_column(link: LtiLink) -> bool:
    """The course announced its line-items service with the scope to create columns."""
    return bool(link.lineitems_url) and SCOPE_LINEITEM in (link.scopes or [])


def _resource_id(game: Game) -> str:
    return f"simshop-game-{game.id}"


def _with_query(url: str, **params: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query) + list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def ensure_grade_column(session: Session, link: LtiLink, key: RSAKey) -> str:
    """The link's grade column (AGS line item) URL. A link launched without one gets it
    created once through the course's line-items service: SimShop first looks for a column
    tagged with the game's resource id (one created before whose URL was not stored), then
    POSTs a new 0..100 column, and stores its URL on the link, so later passbacks reuse it."""
    if link.lineitem_url:
        return link.lineitem_url
    if not can_create_grade_column(link):
        raise LtiError("no_grade_column")
    assert link.lineitems_url is not None
    platform, game = _enabled(link.platform), session.get(Game, link.game_id)
    assert game is not None
    token = access_token(platform, [SCOPE_LINEITEM], key)
    auth = {"Authorization": f"Bearer {token}"}
    url = _with_query(link.lineitems_url, resource_id=_resource_id(game))
    _headers, found = _http("GET", url, headers={**auth, "Accept": LINEITEMS_TYPE})
    items = [
        item
        for item in (found if isinstance(found, list) else [])
        if isinstance(item, dict) and item.get("resourceId") == _resource_id(game)
    ]
    if items:
        created = items[0]
    else:
        column = {
            "scoreMaximum": 100,
            "label": game.title[:255],
            "resourceId": _resource_id(game),
            "tag": "simshop-grade",
        }
        _headers, created = _http(
            "POST",
            link.lineitems_url,
            headers={**auth, "Content-Type": LINEITEM_TYPE, "Accept": LINEITEM_TYPE},
            body=json.dumps(column).encode(),
        )
    column_url = created.get("id") if isinstance(created, dict) else None
    if not isinstance(column_url, str) or not column_url:
        raise LtiError("service_bad_answer", url=link.lineitems_url)
    column_url = _check_url(column_url, "lineitem")
    with transaction(session):
        link.lineitem_url = column_url
    return column_url


def _scores_url(lineitem_url: str) -> str:
    parts = urllib.parse.urlsplit(lineitem_url)
    return urllib.parse.urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


@dataclass(frozen=True)
class GradePassback:
    sent: int
    without_account: list[int]


def post_grades(
    session: Session, link: LtiLink, grades: dict[int, float], key: RSAKey
) -> GradePassback:
    """Send each user's grade (0..100) to the link's grade column (AGS scores), creating the
    column first if the course has none (:func:`ensure_grade_column`). Users who never came
    through this platform are listed in ``without_account`` (use the CSV)."""
    for user_id, grade in grades.items():
        if not 0 <= grade <= 100:
            raise LtiError("grade_range", user_id=user_id)
    _enabled(link.platform)
    lineitem_url = ensure_grade_column(session, link, key)
    accounts = {
        account.user_id: account.subject
        for account in session.scalars(
            select(LtiAccount).where(
                LtiAccount.platform_id == link.platform_id, LtiAccount.user_id.in_(list(grades))
            )
        )
    }
    token = access_token(link.platform, [SCOPE_SCORE], key)
    sent = 0
    for user_id, grade in sorted(grades.items()):
        if user_id not in accounts:
            continue
        score = {
            "userId": accounts[user_id],
            "scoreGiven": round(float(grade), 2),
            "scoreMaximum": 100,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "timestamp": utcnow().isoformat(timespec="milliseconds"),
        }
        _http(
            "POST",
            _scores_url(lineitem_url),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/vnd.ims.lis.v1.score+json",
            },
            body=json.dumps(score).encode(),
        )
        sent += 1
    return GradePassback(sent, sorted(set(grades) - set(accounts)))
