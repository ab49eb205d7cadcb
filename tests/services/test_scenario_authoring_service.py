"""Scenario authoring service: copy, edit each section, refusals, uploads, ownership, games."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from simshop.engine.scenario_errors import ScenarioInvalid, load_scenario_text
from simshop.models import Game, Round, ScenarioDraft
from simshop.services import games as games_service
from simshop.services import rounds as rounds_service
from simshop.services import scenarios as service
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import make_user

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "scenarios"
TUTORIAL = (LIBRARY / "tutorial.toml").read_text("utf-8")


@pytest.fixture
def teacher(session):
    return make_user(session, "teacher@example.edu", "instructor")


@pytest.fixture
def draft(session, teacher):
    return service.copy_scenario(session, teacher, TUTORIAL)


def stored(session, draft_id: int) -> ScenarioDraft:
    session.expire_all()
    return session.get(ScenarioDraft, draft_id)


def draft_count(session) -> int:
    return session.scalar(select(func.count()).select_from(ScenarioDraft))


# --------------------------------------------------------------------------- library, copies


def test_the_library_lists_every_shipped_file_by_name():
    names = [s.name for s in service.shipped_scenarios(LIBRARY)]
    assert names == sorted(p.stem for p in LIBRARY.glob("*.toml"))
    assert service.shipped_scenario(LIBRARY, "../pyproject") is None


def test_a_copy_gets_a_new_id_and_title_and_is_valid(session, draft, teacher):
    scenario = service.scenario_of(draft)
    assert (draft.owner_id, draft.slug) == (teacher.id, "copy-of-tutorial")
    assert (
        scenario.meta.title == "Copy of First steps: selling earbuds and toys to the US and Europe"
    )
    assert scenario.meta.title_zh == "副本：入门：向美国和欧洲销售耳机与玩具"
    assert draft.title == scenario.meta.title
    assert draft.sha256 == load_scenario_text(draft.toml_text).sha256
    assert len(scenario.markets) == 2 and len(scenario.tariffs) == 4


def test_copying_again_picks_the_next_free_id(session, teacher, draft):
    again = service.copy_scenario(session, teacher, TUTORIAL)
    copy_of_copy = service.copy_scenario(session, teacher, draft.toml_text)
    assert again.slug == "copy-of-tutorial-2"
    assert copy_of_copy.slug == "copy-of-copy-of-tutorial"


def test_students_cannot_author(session):
    student = make_user(session, "s001")
    with pytest.raises(service.NotAllowed):
        service.copy_scenario(session, student, TUTORIAL)
    with pytest.raises(service.NotAllowed):
        service.upload_scenario(session, student, TUTORIAL.encode(), "t.toml")
    assert draft_count(session) == 0


# --------------------------------------------------------------------------- edits


def test_editing_the_settings_rewrites_text_title_and_id(session, draft):
    def change(data):
        tables = {
            "meta": {**data["meta"], "id": "spring-class", "title": "Spring class"},
            "calendar": {"rounds": 8, "days_per_round": 30, "practice_rounds": 1},
        }
        service.set_tables(data, tables)

    service.edit_draft(session, draft, change)

    saved = stored(session, draft.id)
    scenario = service.scenario_of(saved)
    assert (saved.slug, saved.title) == ("spring-class", "Spring class")
    assert (scenario.calendar.rounds, scenario.calendar.practice_rounds) == (8, 1)
    assert saved.sha256 == service.sha256_of(saved.toml_text)


def test_editing_a_market_and_its_lanes(session, draft):
    data = service.data_of(draft)
    market = data["markets"][1]
    market["platform_fee"] = 0.12
    market["lanes"] = [{"mode": "rail", "lead_days": 20, "cost_cny_per_kg": 11.0}]

    service.edit_draft(session, draft, lambda d: service.put_item(d, "markets", 1, market))

    eu = service.scenario_of(stored(session, draft.id)).market("EU")
    assert eu.platform_fee == 0.12
    assert [(lane.mode, lane.lead_days) for lane in eu.lanes] == [("rail", 20)]


def test_adding_a_product_and_a_tariff(session, draft):
    product = {
        "id": "phone-case",
        "name": "Phone case",
        "category": "accessories",
        "unit_cost_cny": 6.0,
        "weight_kg": 0.05,
        "reference_price_usd": 12.99,
    }
    tariff = {"market": "US", "category": "accessories", "rate": 0.25}

    def change(data):
        service.put_item(data, "products", None, product)
        service.put_item(data, "tariffs", None, tariff)

    service.edit_draft(session, draft, change)

    scenario = service.scenario_of(stored(session, draft.id))
    assert scenario.product("phone-case").category == "accessories"
    assert scenario.tariffs[-1].rate == 0.25
    # The tutorial names its categories: the new one is named after its id.
    assert scenario.categories["accessories"].name == "Accessories"


def test_adding_and_deleting_an_event(session, draft):
    event = {
        "kind": "tariff_change",
        "id": "us-hike",
        "round": 3,
        "headline": "US tariffs rise",
        "market": "US",
        "add_points": 0.1,
    }
    service.edit_draft(session, draft, lambda d: service.put_item(d, "events", None, event))
    assert [e.id for e in service.scenario_of(stored(session, draft.id)).events] == ["us-hike"]

    service.edit_draft(session, draft, lambda d: service.remove_item(d, "events", 0))
    assert service.scenario_of(stored(session, draft.id)).events == []


def test_an_invalid_edit_is_refused_with_located_problems_and_nothing_saved(session, draft):
    before = (draft.toml_text, draft.sha256, draft.updated_at)
    event = {
        "kind": "tariff_change",
        "id": "bad",
        "round": 3,
        "headline": "x",
        "market": "US",
        "rate": 0.1,
        "add_points": 0.1,
    }

    with pytest.raises(ScenarioInvalid) as caught:
        service.edit_draft(session, draft, lambda d: service.put_item(d, "events", None, event))

    found = {(p.loc, p.code) for p in caught.value.problems}
    assert found == {("events[0].add_points", "one_of_exclusive")}
    saved = stored(session, draft.id)
    assert (saved.toml_text, saved.sha256, saved.updated_at) == before


def test_cross_section_problems_are_located(session, draft):
    event = {"kind": "news", "id": "late", "round": 9, "headline": "x"}
    with pytest.raises(ScenarioInvalid) as caught:
        service.edit_draft(session, draft, lambda d: service.put_item(d, "events", None, event))
    [problem] = caught.value.problems
    assert (problem.loc, problem.code, problem.params) == (
        "events[0].round",
        "event_after_last_round",
        {"round": 9, "rounds": 6},
    )


def test_removing_a_market_that_tariffs_name_is_refused(session, draft):
    with pytest.raises(ScenarioInvalid) as caught:
        service.edit_draft(session, draft, lambda d: service.remove_item(d, "markets", 1))
    assert {(p.loc, p.code) for p in caught.value.problems} == {
        ("tariffs[2].market", "unknown_market"),
        ("tariffs[3].market", "unknown_market"),
    }
    assert len(service.scenario_of(stored(session, draft.id)).markets) == 2


def test_an_id_already_used_by_another_own_scenario_is_refused(session, teacher, draft):
    other = service.copy_scenario(session, teacher, TUTORIAL)

    def take_first_id(data):
        data["meta"]["id"] = draft.slug

    with pytest.raises(ScenarioInvalid) as caught:
        service.edit_draft(session, other, take_first_id)
    [problem] = caught.value.problems
    assert (problem.loc, problem.code) == ("meta.id", "id_taken")
    assert stored(session, other.id).slug == "copy-of-tutorial-2"


def test_delete(session, draft):
    service.delete_draft(session, draft)
    assert draft_count(session) == 0


# --------------------------------------------------------------------------- uploads


def test_an_uploaded_file_is_kept_as_it_is(session, teacher):
    draft = service.upload_scenario(session, teacher, TUTORIAL.encode(), "tutorial.toml")
    assert draft.toml_text == TUTORIAL
    assert draft.slug == "tutorial"
    assert draft.sha256 == service.sha256_of(TUTORIAL)
    assert service.has_unwritten_formatting(draft)  # its comments would be lost by a form


def test_a_written_scenario_has_nothing_a_form_would_lose(session, draft):
    assert not service.has_unwritten_formatting(draft)


def test_a_broken_upload_reports_every_problem_with_lines_and_saves_nothing(session, teacher):
    text = TUTORIAL.replace("rounds = 6", 'rounds = "6"').replace(
        'currency = "EUR"', 'currency = "euro"'
    )
    with pytest.raises(ScenarioInvalid) as caught:
        service.upload_scenario(session, teacher, text.encode(), "mine.toml")
    found = [(p.file, p.line, p.loc, p.code) for p in caught.value.problems]
    lines = TUTORIAL.splitlines()
    assert found == [
        ("mine.toml", lines.index("rounds = 6") + 1, "calendar.rounds", "int_type"),
        ("mine.toml", lines.index('currency = "EUR"') + 1, "markets[1].currency", "bad_currency"),
    ]
    assert draft_count(session) == 0


def test_a_syntax_error_is_located(session, teacher):
    with pytest.raises(ScenarioInvalid) as caught:
        service.upload_scenario(session, teacher, b"[meta]\nid = \n", "x.toml")
    [problem] = caught.value.problems
    assert (problem.code, problem.line) == ("toml_syntax", 2)


def test_a_file_over_the_schema_limit_is_refused(session, teacher):
    with pytest.raises(ScenarioInvalid) as caught:
        service.upload_scenario(session, teacher, b"#" * 1_000_001, "big.toml")
    assert caught.value.problems[0].code == "too_large"


def test_an_upload_whose_id_is_taken_is_refused(session, teacher):
    service.upload_scenario(session, teacher, TUTORIAL.encode(), "a.toml")
    with pytest.raises(ScenarioInvalid) as caught:
        service.upload_scenario(session, teacher, TUTORIAL.encode(), "b.toml")
    [problem] = caught.value.problems
    assert (problem.file, problem.loc, problem.line, problem.code) == (
        "b.toml",
        "meta.id",
        7,
        "id_taken",
    )
    assert draft_count(session) == 1


# --------------------------------------------------------------------------- ownership


def test_instructors_see_only_their_own_and_admins_see_all(session, teacher, draft):
    other = make_user(session, "other@example.edu", "instructor")
    admin = make_user(session, "admin@example.edu", "admin")
    student = make_user(session, "s002")
    theirs = service.copy_scenario(session, other, TUTORIAL)

    assert service.drafts_for(session, teacher) == [draft]
    assert service.draft_for(session, theirs.id, teacher) is None
    assert service.draft_for(session, draft.id, teacher) is draft
    assert service.draft_for(session, draft.id, student) is None
    assert service.draft_for(session, theirs.id, admin) is theirs
    assert {d.id for d in service.drafts_for(session, admin)} == {draft.id, theirs.id}


def test_two_instructors_may_use_the_same_id(session, teacher, draft):
    other = make_user(session, "other@example.edu", "instructor")
    assert service.copy_scenario(session, other, TUTORIAL).slug == draft.slug


# --------------------------------------------------------------------------- games


def test_a_game_keeps_its_snapshot_when_the_scenario_is_edited_or_deleted(
    session, teacher, draft, tmp_path
):
    game = games_service.create_game(
        session,
        teacher,
        games_service.GameSpec(
            title="From my scenario",
            scenario_file=f"draft:{draft.id}",
            scored_rounds=2,
            bot_count=2,
            seed=7,
        ),
        scenarios_dir=tmp_path,
    )
    assert game.scenario_file == f"{draft.slug}.toml"
    text, sha = game.scenario_text, game.scenario_sha256
    assert sha == draft.sha256

    def raise_fees(data):
        data["markets"][0]["platform_fee"] = 0.3

    service.edit_draft(session, draft, raise_fees)
    service.delete_draft(session, draft)

    session.expire_all()
    assert (game.scenario_text, game.scenario_sha256) == (text, sha)
    first = session.scalars(select(Round).where(Round.game_id == game.id, Round.number == 1)).one()
    schedule_service.open_round(session, game, first)
    schedule_service.close_round(session, first)
    rounds_service.process_round(session, first.id)
    session.expire_all()
    assert first.status == "published"
    assert games_service.game_scenario(game).markets[0].platform_fee == 0.15


def test_only_the_owner_can_start_a_game_from_a_draft(session, draft, tmp_path):
    other = make_user(session, "other@example.edu", "instructor")
    spec = games_service.GameSpec(title="Not mine", scenario_file=f"draft:{draft.id}")
    with pytest.raises(games_service.GameError) as caught:
        games_service.create_game(session, other, spec, scenarios_dir=tmp_path)
    assert caught.value.code == "scenario_unknown"
    assert session.scalars(select(Game)).all() == []


# --------------------------------------------------------------------------- preview


def test_a_preview_plays_every_round_with_four_bots():
    run = service.preview(TUTORIAL)
    assert run.rounds == [1, 2, 3, 4, 5, 6]
    assert len(run.teams) == 4 and len(run.standings) == 4
    assert set(run.revenue_cny) == {"US", "EU"}
    assert all(len(v) == 6 for v in run.revenue_cny.values())
    assert all(len(v) == 6 for v in run.profit_cny.values())
    assert run.revenue_cny["US"][0] > 0
    assert service.preview(TUTORIAL) is run  # cached by SHA-256


def test_the_stored_text_is_plain_toml(draft):
    assert tomllib.loads(draft.toml_text)["meta"]["id"] == "copy-of-tutorial"
