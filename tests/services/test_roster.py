"""Roster CSV import: good files create accounts, bad files are reported row by row."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from simshop.models import Player, Team, User
from simshop.security import verify_password
from simshop.services import roster as roster_service
from simshop.services.roster import RosterInvalid
from tests.reliability.gamekit import enrol, make_game, make_user, team_named

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL


@pytest.fixture
def instructor(session):
    return make_user(session, "teacher@example.edu", "instructor")


@pytest.fixture
def game(session, instructor):
    return make_game(session, instructor, team_max_size=2)


def counts(session):
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (User, Player, Team))


def test_a_good_roster_creates_accounts_teams_and_one_time_passwords(session, game, instructor):
    data = (
        "\ufeffname,student_number,team\n"
        "Li Wei,S2026101,Dragon\n"
        "Zhang Min,s2026102,Dragon\n"
        "陈静,s2026103,凤凰\n"
        "Wang Fang,s2026104,\n"
    ).encode()

    report = roster_service.import_roster(session, game, data, instructor)

    assert [c[:2] for c in report.created] == [
        ("s2026101", "Li Wei"),
        ("s2026102", "Zhang Min"),
        ("s2026103", "陈静"),
        ("s2026104", "Wang Fang"),
    ]
    assert report.teams_created == ["Dragon", "凤凰"]
    user = session.scalar(select(User).where(User.login == "s2026101"))
    assert user.must_change_password is True
    assert verify_password(user.password_hash, report.created[0][2])
    assert team_named(session, game, "Dragon").member_count == 2

    text = roster_service.take_credentials(session, game, instructor, report.download_token)
    assert text.startswith("\ufeffstudent_number,name,initial_password\r\n")
    assert report.created[2][2] in text
    assert roster_service.take_credentials(session, game, instructor, report.download_token) is None


def test_a_bad_roster_is_reported_row_by_row_and_nothing_is_imported(session, game):
    make_user(session, "teacher2@example.edu", "instructor")
    before = counts(session)
    data = (
        (
            "name,student_number,team\n"
            ",s2026201,A\n"  # row 2: no name
            "Bob,x!,A\n"  # row 3: invalid number
            "Carol,s2026203,A\n"
            "Dan,S2026203,B\n"  # row 5: repeats row 4
            "Eve,s2026205,A\n"  # row 6: team A would have 3 members (max 2)
            "Fay,s2026206," + "T" * 61 + "\n"  # row 7: team name too long
            "Gus,teacher2@example.edu,B\n"  # row 8: not a valid student number
        ).encode()
    )

    with pytest.raises(RosterInvalid) as info:
        roster_service.import_roster(session, game, data, game.owner)

    assert [(i.row, i.column, i.code) for i in info.value.issues] == [
        (2, "name", "required"),
        (3, "student_number", "student_number_invalid"),
        (5, "student_number", "repeated"),
        (7, "team", "too_long"),
        (8, "student_number", "student_number_invalid"),
    ]
    assert info.value.issues[2].params == {"first_row": 4}
    assert counts(session) == before


def test_team_limits_and_existing_accounts_are_checked_against_the_game(session, game):
    existing = make_user(session, "s2026301")
    other = make_user(session, "s2026302")
    enrol(session, game, other, "Full")
    enrol(session, game, make_user(session, "s2026303"), "Full")
    make_user(session, "boss", "instructor")
    before = counts(session)
    data = b"name,student_number,team\nOld,s2026301,Full\nNew,s2026304,\nBoss,boss,\n"

    with pytest.raises(RosterInvalid) as info:
        roster_service.import_roster(session, game, data, game.owner)

    assert [(i.row, i.code, i.params) for i in info.value.issues] == [
        (2, "team_full", {"team": "Full", "max": 2}),
        (4, "not_a_student", {}),
    ]
    assert counts(session) == before
    assert session.scalar(select(Player).where(Player.user_id == existing.id)) is None


@pytest.mark.parametrize(
    ("data", "issue"),
    [
        (b"", (0, None, "empty_file")),
        (b"name,team\nA,B\n", (1, "student_number", "missing_column")),
        (b"name,student_number\n", (0, None, "no_rows")),
        (b"name,student_number\n\xff\xfe,1\n", (0, None, "not_utf8")),
    ],
)
def test_unusable_files_get_one_clear_problem(session, game, data, issue):
    with pytest.raises(RosterInvalid) as info:
        roster_service.import_roster(session, game, data, game.owner)
    assert [(i.row, i.column, i.code) for i in info.value.issues] == [issue]


def test_chinese_headers_and_existing_students_are_accepted(session, game):
    make_user(session, "s2026401")
    data = "姓名,学号,团队\n旧生,s2026401,龙\n新生,s2026402,龙\n".encode()
    report = roster_service.import_roster(session, game, data, game.owner)
    assert report.enrolled == ["s2026401"]
    assert [c[0] for c in report.created] == ["s2026402"]


def test_credentials_csv_neutralises_formulas():
    text = roster_service.credentials_csv([("s1", '=HYPERLINK("x")', "pw")])
    assert "'=HYPERLINK" in text


@pytest.mark.parametrize("name", ["\x00=1+1", "=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_credentials_csv_uses_the_exports_neutraliser(name):
    import csv
    import io

    from simshop.services import exports

    text = roster_service.credentials_csv([("s1", name, "pw")])
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert rows[1] == ["s1", "'" + name, "pw"]
    assert exports.neutralise(name) == "'" + name
    assert roster_service.neutralise is exports.neutralise


def test_a_nul_byte_in_a_roster_cell_is_a_located_issue(session, game):
    data = b"name,student_number,team\nA\x00b,s2026501,T\x00\nOk,s2026502,\n"
    with pytest.raises(RosterInvalid) as info:
        roster_service.parse_roster(data)
    assert [(i.row, i.column, i.code) for i in info.value.issues] == [
        (2, "name", "nul_character"),
        (2, "team", "nul_character"),
    ]


def big_roster(rows: int) -> bytes:
    lines = ["name,student_number,team"] + [f"Student {n},s30{n:05d}," for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def fake_hash(password: str) -> str:
    return "fake$" + password


def test_a_large_roster_is_queued_without_hashing_in_the_request(
    session, game, instructor, monkeypatch
):
    def no_hashing(_password: str) -> str:
        raise AssertionError("the request must not hash passwords")

    monkeypatch.setattr(roster_service, "hash_password", no_hashing)
    before = counts(session)
    job = roster_service.import_or_queue(
        session, game, big_roster(roster_service.MAX_ROWS), instructor
    )
    assert isinstance(job, roster_service.RosterJob)
    assert (job.status, job.total, job.done) == ("queued", 2000, 0)
    assert counts(session) == before


def test_a_large_roster_with_problems_is_refused_at_once(session, game, instructor):
    data = big_roster(150).replace(b"s3000007,", b"not valid!,")
    with pytest.raises(RosterInvalid) as info:
        roster_service.import_or_queue(session, game, data, instructor)
    assert [(i.row, i.code) for i in info.value.issues] == [(9, "student_number_invalid")]
    assert session.scalar(select(func.count()).select_from(roster_service.RosterJob)) == 0


def test_the_tick_runs_a_queued_roster_with_progress(session, game, instructor, monkeypatch):
    monkeypatch.setattr(roster_service, "hash_password", fake_hash)
    seen = []
    job = roster_service.import_or_queue(session, game, big_roster(120), instructor)
    job_id = job.id
    original_import = roster_service.import_roster

    def watching_import(*args, **kwargs):
        progress = kwargs["progress"]

        def record(done: int) -> None:
            progress(done)
            seen.append(session.get(roster_service.RosterJob, job_id).done)

        return original_import(*args, **{**kwargs, "progress": record})

    monkeypatch.setattr(roster_service, "import_roster", watching_import)
    assert roster_service.run_roster_jobs(session) == [job_id]
    assert roster_service.run_roster_jobs(session) == []  # claimed once, run once
    job = session.get(roster_service.RosterJob, job_id)
    assert seen == [50, 100]
    assert (job.status, job.done, job.result) == (
        "done",
        120,
        {"created": 120, "enrolled": 0, "teams": 0},
    )
    text = roster_service.take_credentials(session, game, instructor, job.download_token)
    assert text is not None and text.count("\r\n") == 121
    assert session.scalar(select(func.count()).select_from(User).where(User.login.like("s30%")))
    assert roster_service.roster_job(session, game, instructor, job_id) is job
    other = make_user(session, "other@example.edu", "instructor")
    assert roster_service.roster_job(session, game, other, job_id) is None
