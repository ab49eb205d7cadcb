"""Reading a roster CSV (name, student number, team) and checking it, by row and column,
before anything is written: the file's shape and each value (:func:`parse_roster`), then the
rows against the game (existing accounts, full teams, bot teams). Raises
:class:`RosterInvalid` with every :class:`RosterIssue`. Writing the roster is
:mod:`simshop.services.roster`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.models import (
    Game,
    Player,
    Role,
    Team,
    User,
)
from simshop.models.game import team_name_key
from simshop.services.accounts import DISPLAY_NAME_MAX_LENGTH, STUDENT_NUMBER_RE
from simshop.services.teams import TEAM_NAME_MAX_LENGTH

MAX_ROWS = 2000
# Header names accepted for each column (lower-cased), English and Chinese.
HEADER_ALIASES = {
    "name": {"name", "姓名", "display_name"},
    "student_number": {"student_number", "student number", "student_no", "学号", "login"},
    "team": {"team", "团队", "小组", "team_name"},
}


@dataclass(frozen=True)
class RosterIssue:
    """``row`` is the line number in the file (the header is row 1; 0: the whole file)."""

    row: int
    column: str | None
    code: str
    params: dict[str, Any] = field(default_factory=dict)


class RosterInvalid(Exception):
    def __init__(self, issues: list[RosterIssue]) -> None:
        super().__init__(f"{len(issues)} problems in the roster")
        self.issues = issues


@dataclass(frozen=True)
class RosterRow:
    row: int
    name: str
    student_number: str
    team: str


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterInvalid([RosterIssue(0, None, "not_utf8", {"offset": exc.start})]) from None


def parse_roster(data: bytes) -> list[RosterRow]:
    """Parse and check the file's shape and each value. Raises :class:`RosterInvalid`."""
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    index = _column_index(reader)
    issues: list[RosterIssue] = []
    rows: list[RosterRow] = []
    first_seen: dict[str, int] = {}
    try:
        for line_no, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                issues.append(RosterIssue(line_no, None, "too_many_rows", {"max": MAX_ROWS}))
                break
            row = _row(line_no, values, index)
            row_issues = _row_issues(row, first_seen)
            issues += row_issues
            if not any(i.code == "nul_character" for i in row_issues):
                rows.append(row)
    except csv.Error:
        issues.append(RosterIssue(reader.line_num, None, "bad_csv"))
    if not rows and not issues:
        issues.append(RosterIssue(0, None, "no_rows"))
    if issues:
        raise RosterInvalid(issues)
    return rows


def _column_index(reader: Iterator[list[str]]) -> dict[str, int]:
    """Column -> position, from the header line (English or Chinese names, any case)."""
    try:
        header = next(reader)
    except StopIteration:
        raise RosterInvalid([RosterIssue(0, None, "empty_file")]) from None
    except csv.Error:
        raise RosterInvalid([RosterIssue(1, None, "bad_csv")]) from None
    index: dict[str, int] = {}
    for i, raw in enumerate(header):
        key = raw.strip().lower()
        for column, names in HEADER_ALIASES.items():
            if key in names and column not in index:
                index[column] = i
    missing = [c for c in ("name", "student_number") if c not in index]
    if missing:
        raise RosterInvalid([RosterIssue(1, c, "missing_column") for c in missing])
    return index


def _row(line_no: int, values: list[str], index: dict[str, int]) -> RosterRow:
    """One line's values, spaces tidied and the student number lower-cased."""

    def cell(column: str) -> str:
        i = index.get(column)
        return values[i].strip() if i is not None and i < len(values) else ""

    name = " ".join(cell("name").split())
    team = " ".join(cell("team").split())
    return RosterRow(line_no, name, cell("student_number").lower(), team)


def _row_issues(row: RosterRow, first_seen: dict[str, int]) -> list[RosterIssue]:
    """What is wrong with one row (a NUL character: only that); records a new student
    number in ``first_seen`` (number -> its first line)."""
    line_no, name, number, team = row.row, row.name, row.student_number, row.team
    nul = [c for c, v in (("name", name), ("team", team)) if "\x00" in v]
    if nul:
        return [RosterIssue(line_no, column, "nul_character") for column in nul]
    issues = []
    if not name:
        issues.append(RosterIssue(line_no, "name", "required"))
    elif len(name) > DISPLAY_NAME_MAX_LENGTH:
        issues.append(RosterIssue(line_no, "name", "too_long", {"max": DISPLAY_NAME_MAX_LENGTH}))
    if not number:
        issues.append(RosterIssue(line_no, "student_number", "required"))
    elif not STUDENT_NUMBER_RE.match(number):
        issues.append(
            RosterIssue(line_no, "student_number", "student_number_invalid", {"value": number})
        )
    elif number in first_seen:
        issues.append(
            RosterIssue(line_no, "student_number", "repeated", {"first_row": first_seen[number]})
        )
    else:
        first_seen[number] = line_no
    if len(team) > TEAM_NAME_MAX_LENGTH:
        issues.append(RosterIssue(line_no, "team", "too_long", {"max": TEAM_NAME_MAX_LENGTH}))
    return issues


def _check_against_game(session: Session, game: Game, rows: list[RosterRow]) -> list[RosterIssue]:
    issues = []
    numbers = [r.student_number for r in rows]
    users = {u.login: u for u in session.scalars(select(User).where(User.login.in_(numbers)))}
    players = {
        p.user_id: p
        for p in session.scalars(
            select(Player).where(
                Player.game_id == game.id, Player.user_id.in_([u.id for u in users.values()])
            )
        )
    }
    teams = {t.name_key: t for t in session.scalars(select(Team).where(Team.game_id == game.id))}
    team_names = {t.id: t.name for t in teams.values()}
    seats = {t.name_key: t.member_count for t in teams.values()}
    for r in rows:
        user = users.get(r.student_number)
        if user is not None and user.role != Role.STUDENT.value:
            issues.append(RosterIssue(r.row, "student_number", "not_a_student"))
            continue
        player = players.get(user.id) if user is not None else None
        if player is not None and player.team_id is not None:
            current = team_names.get(player.team_id, "")
            if r.team and team_name_key(current) != team_name_key(r.team):
                issues.append(RosterIssue(r.row, "team", "already_in_team", {"team": current}))
            continue
        if r.team:
            key = team_name_key(r.team)
            team = teams.get(key)
            if team is not None and team.is_bot:
                issues.append(RosterIssue(r.row, "team", "bot_team", {"team": r.team}))
                continue
            seats[key] = seats.get(key, 0) + 1
            if seats[key] > game.team_max_size:
                issues.append(
                    RosterIssue(
                        r.row, "team", "team_full", {"team": r.team, "max": game.team_max_size}
                    )
                )
    return issues
