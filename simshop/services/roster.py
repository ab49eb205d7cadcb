"""Roster import: a CSV of students (name, student number, team) becomes accounts, game
enrolments and teams, all at once or not at all.

Every problem is reported by row and column before anything is written (reading and checking
the file: :mod:`simshop.services.roster_parse`). New accounts get a random initial password
that must be changed at first login (ASVS 6.4.1); the passwords are returned once, and kept
for one download as CSV (only the download token's SHA-256 is stored, the row is deleted on
download and expires after :data:`CREDENTIALS_TTL`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from simshop.models import (
    Game,
    IssuedCredentials,
    Player,
    Role,
    RosterJob,
    RosterJobStatus,
    Team,
    User,
)
from simshop.models.game import as_utc, team_name_key
from simshop.models.user import utcnow
from simshop.security import generate_password, hash_password
from simshop.services.cells import neutralise
from simshop.services.roster_parse import (  # noqa: F401 (re-exported)
    HEADER_ALIASES,
    MAX_ROWS,
    RosterInvalid,
    RosterIssue,
    RosterRow,
    _check_against_game,
    parse_roster,
)
from simshop.services.uow import end_read, transaction, unit_of_work

INLINE_ROWS = 100
"""Imports of up to this many rows run in the request (about 2 s of password hashing);
larger ones become a :class:`RosterJob` that ``flask --app simshop tick`` runs while the
instructor watches its progress page (2,000 rows hash for ~35 s: past a worker's 30 s)."""
PROGRESS_EVERY = 50
CREDENTIALS_TTL = timedelta(minutes=30)


@dataclass
class RosterImport:
    created: list[tuple[str, str, str]] = field(default_factory=list)
    """(student number, name, initial password) of each new account."""
    enrolled: list[str] = field(default_factory=list)
    """Student numbers of existing accounts enrolled in the game."""
    teams_created: list[str] = field(default_factory=list)
    download_token: str | None = None


def credentials_csv(created: list[tuple[str, str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["student_number", "name", "initial_password"])
    for number, name, password in created:
        writer.writerow([neutralise(number), neutralise(name), neutralise(password)])
    return "\ufeff" + out.getvalue()


def import_or_queue(
    session: Session, game: Game, data: bytes, created_by: User
) -> RosterImport | RosterJob:
    """Import a small roster now; check a large one (no hashing) and queue it as a
    :class:`RosterJob`. Raises :class:`RosterInvalid` (nothing written) either way."""
    rows = parse_roster(data)
    if len(rows) <= INLINE_ROWS:
        return import_roster(session, game, data, created_by)
    with transaction(session):
        issues = _check_against_game(session, game, rows)
        if issues:
            raise RosterInvalid(issues)
        job = RosterJob(
            game_id=game.id,
            created_by_id=created_by.id,
            csv_text=data.decode("utf-8-sig"),
            total=len(rows),
        )
        session.add(job)
        session.flush()
    return job


def run_roster_jobs(session: Session, limit: int = 5) -> list[int]:
    """Run queued roster jobs, oldest first (the tick calls this). Each is claimed with one
    guarded UPDATE, so two ticks never run the same job. Returns the ids run."""
    ran = []
    queued = session.scalars(
        select(RosterJob.id)
        .where(RosterJob.status == RosterJobStatus.QUEUED.value)
        .order_by(RosterJob.id)
        .limit(limit)
    ).all()
    end_read(session)
    for job_id in queued:
        with transaction(session):
            claimed = session.execute(
                update(RosterJob)
                .where(RosterJob.id == job_id, RosterJob.status == RosterJobStatus.QUEUED.value)
                .values(status=RosterJobStatus.RUNNING.value)
            ).rowcount
        if claimed == 1:
            _run_job(session, job_id)
            ran.append(job_id)
    return ran


def _run_job(session: Session, job_id: int) -> None:
    job = session.get(RosterJob, job_id)
    assert job is not None
    game, creator = session.get(Game, job.game_id), session.get(User, job.created_by_id)
    assert game is not None and creator is not None
    data, total = job.csv_text.encode("utf-8"), job.total

    def progress(done: int) -> None:
        with transaction(session):
            session.execute(update(RosterJob).where(RosterJob.id == job_id).values(done=done))

    try:
        report = import_roster(session, game, data, creator, progress=progress)
    except RosterInvalid as exc:  # the game changed since the file was checked
        values: dict[str, Any] = {
            "status": RosterJobStatus.FAILED.value,
            "result": {"problems": [_issue_dict(i) for i in exc.issues]},
        }
    else:
        values = {
            "status": RosterJobStatus.DONE.value,
            "done": total,
            "download_token": report.download_token,
            "result": {
                "created": len(report.created),
                "enrolled": len(report.enrolled),
                "teams": len(report.teams_created),
            },
        }
    values["finished_at"] = utcnow()
    with transaction(session):
        session.execute(update(RosterJob).where(RosterJob.id == job_id).values(**values))


def _issue_dict(issue: RosterIssue) -> dict[str, Any]:
    return {"row": issue.row, "column": issue.column, "code": issue.code, "params": issue.params}


def roster_job(session: Session, game: Game, user: User, job_id: int) -> RosterJob | None:
    """The job, for its creator only."""
    job = session.get(RosterJob, job_id)
    if job is None or job.game_id != game.id or job.created_by_id != user.id:
        return None
    return job


def import_roster(
    session: Session,
    game: Game,
    data: bytes,
    created_by: User,
    progress: Callable[[int], None] | None = None,
) -> RosterImport:
    """Check the whole file, then create accounts, enrolments and teams in one transaction.
    Raises :class:`RosterInvalid` (nothing written) with every problem found. ``progress``
    hears the number of passwords hashed every :data:`PROGRESS_EVERY` rows."""
    rows = parse_roster(data)
    # Hash before touching the database: argon2 costs ~17 ms a row, and on SQLite the first
    # query takes the write lock until commit.
    end_read(session)
    issued = _hash_passwords(rows, progress)
    with transaction(session):
        return _write_roster(session, game, rows, issued, created_by)


def _hash_passwords(
    rows: list[RosterRow], progress: Callable[[int], None] | None
) -> dict[str, tuple[str, str]]:
    """A one-time password and its argon2id hash per student number."""
    issued = {}
    for n, r in enumerate(rows, start=1):
        password = generate_password()
        issued[r.student_number] = (password, hash_password(password))
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(n)
    return issued


def _write_roster(
    session: Session,
    game: Game,
    rows: list[RosterRow],
    issued: dict[str, tuple[str, str]],
    created_by: User,
) -> RosterImport:
    """A few statements per table, not a few per row: 2,000 rows took ~8,000 queries and
    4,000 flushes (tens of seconds) one row at a time."""
    issues = _check_against_game(session, game, rows)
    if issues:
        raise RosterInvalid(issues)
    report = RosterImport()
    users = _accounts(session, rows, issued, report)
    players = _enrolments(session, game, [users[r.student_number] for r in rows])
    _seat(session, game, [(r.team, players[users[r.student_number].id]) for r in rows], report)
    if report.created:
        token = secrets.token_urlsafe(24)
        session.add(
            IssuedCredentials(
                game_id=game.id,
                created_by_id=created_by.id,
                token_sha256=hashlib.sha256(token.encode()).hexdigest(),
                csv_text=credentials_csv(report.created),
                expires_at=utcnow() + CREDENTIALS_TTL,
            )
        )
        report.download_token = token
    session.execute(delete(IssuedCredentials).where(IssuedCredentials.expires_at < utcnow()))
    return report


def _accounts(
    session: Session,
    rows: list[RosterRow],
    issued: dict[str, tuple[str, str]],
    report: RosterImport,
) -> dict[str, User]:
    """Each row's account by student number: the existing one, else a new one (in row
    order)."""
    numbers = [r.student_number for r in rows]
    users = {u.login: u for u in session.scalars(select(User).where(User.login.in_(numbers)))}
    for r in rows:
        if r.student_number in users:
            report.enrolled.append(r.student_number)
            continue
        password, password_hash = issued[r.student_number]
        users[r.student_number] = User(
            login=r.student_number,
            display_name=r.name,
            student_number=r.student_number,
            role=Role.STUDENT.value,
            password_hash=password_hash,
            must_change_password=True,
        )
        session.add(users[r.student_number])
        report.created.append((r.student_number, r.name, password))
    session.flush()
    return users


def _enrolments(session: Session, game: Game, users: list[User]) -> dict[int, Player]:
    """Each account's player in the game (user id -> Player): the existing one, else new."""
    ids = [u.id for u in users]
    players = {
        p.user_id: p
        for p in session.scalars(
            select(Player).where(Player.game_id == game.id, Player.user_id.in_(ids))
        )
    }
    for user_id in ids:
        if user_id not in players:
            players[user_id] = Player(game_id=game.id, user_id=user_id)
            session.add(players[user_id])
    return players


def _seat(
    session: Session, game: Game, seats: list[tuple[str, Player]], report: RosterImport
) -> None:
    """Put each player without a team in the row's team, created on first mention."""
    teams = {t.name_key: t for t in session.scalars(select(Team).where(Team.game_id == game.id))}
    seats = [(name, player) for name, player in seats if name and player.team_id is None]
    for name, _player in seats:
        if team_name_key(name) not in teams:
            team = Team(game_id=game.id, name=name, member_count=0)
            session.add(team)
            teams[team.name_key] = team
            report.teams_created.append(name)
    session.flush()
    for name, player in seats:
        team = teams[team_name_key(name)]
        team.member_count = team.member_count + 1
        player.team_id = team.id


@unit_of_work
def take_credentials(session: Session, game: Game, user: User, token: str) -> str | None:
    """The credentials CSV for ``token`` (once: the row is deleted), or None."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = session.scalar(
        select(IssuedCredentials).where(
            IssuedCredentials.token_sha256 == digest,
            IssuedCredentials.game_id == game.id,
            IssuedCredentials.created_by_id == user.id,
        )
    )
    if row is None or as_utc(row.expires_at) < utcnow():
        return None
    text = row.csv_text
    session.delete(row)
    return text
