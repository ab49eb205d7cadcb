"""Assessment pages: quizzes (the instructor attaches them; a student answers alone, once),
the team's forecast, the gradebook (preview, publish, CSV/XLSX) and a student's own grade.

Access: staff pages load the game with ``Need.STAFF``; student pages with the student's own
enrolment (``enrolment``), and they never take a user's or team's id, so a student reaches
only their own answers, forecast and grade. Correct values are shown to a student only
after their submission is final *and* the quiz has closed.
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from simshop.extensions import db
from simshop.forms.assessment import (
    QuizForm,
    forecast_form,
    grade_settings_form,
    parse_answers,
)
from simshop.forms.game import ActionForm
from simshop.i18n import chinese_page, localized_name
from simshop.messages import ANSWER_MESSAGES, error_message
from simshop.models import Game
from simshop.services import exports, forecasts, gradebook, quizzes, round_state
from simshop.services import games as games_service
from simshop.services.quiz_bank import TOPICS, Bank, Question, shipped_bank
from simshop.views.access import Need, enrolment, game_for

bp = Blueprint("assessment", __name__)


@bp.before_request
@login_required
def _logged_in() -> None:
    return None


TOPIC_LABELS = {
    "incoterms": _l("Incoterms"),
    "customs_valuation": _l("Customs valuation"),
    "de_minimis": _l("De minimis thresholds"),
    "vat_ioss": _l("VAT and IOSS"),
    "landed_cost": _l("Landed cost"),
    "platform_fees": _l("Platform fees"),
    "acos": _l("Advertising cost of sales (ACoS)"),
    "exchange_risk": _l("Exchange risk"),
    "compliance": _l("Compliance"),
    "results": _l("Your team's results"),
}
COMPONENT_LABELS = {
    "game": _l("Game score percentile"),
    "quiz": _l("Quizzes"),
    "forecast": _l("Forecast accuracy"),
    "memo": _l("Memos"),
}
WINDOW_LABELS = {"upcoming": _l("Not open yet"), "open": _l("Open"), "closed": _l("Closed")}


def bank() -> Bank:
    return shipped_bank(current_app.config["QUESTIONS_DIR"])


def to_utc(game: Game, local):
    return local.replace(tzinfo=ZoneInfo(game.timezone)).astimezone(UTC)


def question_text(question: Question, scenario, round_number: int, market, product) -> str:
    """The question in the page's language with its parameters filled in."""
    text = question.text_zh if chinese_page() else question.text_en
    text = text.replace("{round}", str(round_number))
    if market:
        text = text.replace("{market}", localized_name(scenario.market(market)))
    if product:
        text = text.replace("{product}", localized_name(scenario.product(product)))
    return text


def question_preview(question: Question) -> str:
    """The question as the instructor picks it: parameters shown as placeholders."""
    text = question.text_zh if chinese_page() else question.text_en
    return (
        text.replace("{round}", "N")
        .replace("{market}", _("(a market)"))
        .replace("{product}", _("(a product)"))
    )


def choices_of(question: Question) -> list[str]:
    return list((question.choices_zh if chinese_page() else question.choices_en) or [])


def unit_of(question: Question) -> str:
    return question.unit_zh if chinese_page() else question.unit_en


@bp.app_context_processor
def _helpers() -> dict[str, object]:
    return {
        "topic_label": lambda key: str(TOPIC_LABELS.get(key, key)),
        "component_label": lambda key: str(COMPONENT_LABELS.get(key, key)),
        "window_label": lambda key: str(WINDOW_LABELS[key]),
        "question_choices": choices_of,
        "question_unit": unit_of,
        "question_preview": question_preview,
    }


# --------------------------------------------------------------------------- instructor


def _quiz_form(game: Game) -> QuizForm:
    form = QuizForm()
    form.round_id.choices = [
        (r.id, _("Round %(n)s", n=r.number)) for r in round_state.rounds_of(db.session, game)
    ]
    form.question_ids.choices = [(q.id, question_preview(q)) for q in bank().questions.values()]
    return form


@bp.route("/instructor/games/<int:game_id>/quizzes", methods=["GET", "POST"])
def quizzes_admin(game_id: int):
    game = game_for(game_id, Need.STAFF)
    form = _quiz_form(game)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            spec = quizzes.QuizSpec(
                round_id=form.round_id.data,
                title=form.title.data,
                question_ids=list(form.question_ids.data or []),
                opens_at=to_utc(game, form.opens_at.data),
                closes_at=to_utc(game, form.closes_at.data),
            )
            try:
                quizzes.create_quiz(db.session, game, current_user, spec, bank())
            except quizzes.QuizError as exc:
                getattr(form, exc.field or "title").errors = [error_message(exc)]
            else:
                flash(_("Quiz attached."), "success")
                return redirect(url_for("assessment.quizzes_admin", game_id=game.id))
        status = 422
    by_topic = {topic: [] for topic in TOPICS}
    for question in bank().questions.values():
        by_topic[question.topic].append(question)
    return render_template(
        "assessment/quizzes_admin.html",
        game=game,
        form=form,
        quizzes=quizzes.quizzes_of(db.session, game),
        by_topic=by_topic,
        chosen=set(form.question_ids.data or []),
        window=quizzes.window,
        action_form=ActionForm(),
    ), status


@bp.get("/instructor/games/<int:game_id>/quizzes/<int:quiz_id>")
def quiz_admin(game_id: int, quiz_id: int):
    game = game_for(game_id, Need.STAFF)
    quiz = quizzes.quiz_of(db.session, game, quiz_id) or abort(404)
    submissions = quizzes.submissions_of(db.session, quiz)
    return render_template(
        "assessment/quiz_admin.html",
        game=game,
        quiz=quiz,
        state=quizzes.window(quiz),
        questions=[bank().questions[q] for q in quiz.question_ids if q in bank().questions],
        submissions=submissions,
        stats=quizzes.question_stats(submissions),
        action_form=ActionForm(),
    )


@bp.post("/instructor/games/<int:game_id>/quizzes/<int:quiz_id>/delete")
def delete_quiz(game_id: int, quiz_id: int):
    game = game_for(game_id, Need.STAFF)
    quiz = quizzes.quiz_of(db.session, game, quiz_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    quizzes.delete_quiz(db.session, quiz)
    flash(_("Quiz deleted."), "success")
    return redirect(url_for("assessment.quizzes_admin", game_id=game.id))


def _settings_form():
    return grade_settings_form([(k, COMPONENT_LABELS[k]) for k in gradebook.GRADE_COMPONENTS])


@bp.route("/instructor/games/<int:game_id>/gradebook", methods=["GET", "POST"])
def gradebook_admin(game_id: int):
    game = game_for(game_id, Need.STAFF)
    settings = gradebook.settings_of(db.session, game)
    form = _settings_form()()
    status = 200
    if request.method == "GET":
        for key in gradebook.GRADE_COMPONENTS:
            getattr(form, f"weight_{key}").data = settings.weights.get(key, 0.0)
        form.curve_target.data = settings.curve_target
    elif form.validate_on_submit():
        weights = {k: getattr(form, f"weight_{k}").data for k in gradebook.GRADE_COMPONENTS}
        try:
            gradebook.save_settings(db.session, game, weights, form.curve_target.data)
        except gradebook.GradebookError as exc:
            getattr(form, exc.field or "curve_target").errors = [error_message(exc)]
            status = 422
        else:
            flash(_("Weights saved. Check the preview, then publish."), "success")
            return redirect(url_for("assessment.gradebook_admin", game_id=game.id))
    else:
        status = 422
    return render_template(
        "assessment/gradebook_admin.html",
        game=game,
        form=form,
        book=gradebook.compute(db.session, game),
        settings=settings,
        published=gradebook.published_grades(db.session, game),
        columns=gradebook.EXPORT_COLUMNS,
        action_form=ActionForm(),
    ), status


@bp.post("/instructor/games/<int:game_id>/gradebook/publish")
def publish_grades(game_id: int):
    game = game_for(game_id, Need.STAFF)
    if not ActionForm().validate_on_submit():
        abort(400)
    count = gradebook.publish(db.session, game)
    flash(_("Grades published: %(count)s students see their own grade.", count=count), "success")
    return redirect(url_for("assessment.gradebook_admin", game_id=game.id))


def _download(data: bytes, mimetype: str, name: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/instructor/games/<int:game_id>/gradebook.csv")
def gradebook_csv(game_id: int):
    game = game_for(game_id, Need.STAFF)
    table = gradebook.export_table(gradebook.compute(db.session, game))
    return _download(exports.to_csv(table), "text/csv", f"simshop-grades-{game.id}.csv")


@bp.get("/instructor/games/<int:game_id>/gradebook.xlsx")
def gradebook_xlsx(game_id: int):
    game = game_for(game_id, Need.STAFF)
    table = gradebook.export_table(gradebook.compute(db.session, game))
    return _download(
        exports.to_xlsx([table]),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"simshop-grades-{game.id}.xlsx",
    )


# --------------------------------------------------------------------------- student


@bp.get("/games/<int:game_id>/quizzes")
def my_quizzes(game_id: int):
    game, player = enrolment(game_id)
    rows = [
        (quiz, quizzes.window(quiz), quizzes.submission_of(db.session, quiz, current_user))
        for quiz in quizzes.quizzes_of(db.session, game)
    ]
    return render_template("assessment/my_quizzes.html", game=game, rows=rows)


@bp.route("/games/<int:game_id>/quizzes/<int:quiz_id>", methods=["GET", "POST"])
def take_quiz(game_id: int, quiz_id: int):
    game, player = enrolment(game_id)
    quiz = quizzes.quiz_of(db.session, game, quiz_id) or abort(404)
    the_bank = bank()
    status, errors, typed, form_error = 200, {}, {}, None
    submission = quizzes.submission_of(db.session, quiz, current_user)
    if request.method == "POST" and submission is None:
        if not ActionForm().validate_on_submit():
            abort(400)
        asked = quizzes.questions_for(db.session, quiz, player, the_bank)
        typed, errors = parse_answers({a.question.id: a.question.kind for a in asked}, request.form)
        if not errors:
            try:
                quizzes.submit(db.session, quiz, player, current_user, typed, the_bank)
            except quizzes.AnswerErrors as exc:
                errors = {qid: str(ANSWER_MESSAGES[code]) for qid, code in exc.problems.items()}
            except quizzes.QuizError as exc:
                form_error, status = error_message(exc), 409
            else:
                flash(_("Answers submitted. Your score is final."), "success")
                return redirect(url_for("assessment.take_quiz", game_id=game.id, quiz_id=quiz.id))
        if errors:
            status = 422
    elif request.method == "POST":
        # Submitted before: the first submission stands (idempotent).
        return redirect(url_for("assessment.take_quiz", game_id=game.id, quiz_id=quiz.id))
    state = quizzes.window(quiz)
    scenario = games_service.game_scenario(game)
    questions = _shown_questions(quiz, player, submission, scenario, the_bank, typed, errors)
    return render_template(
        "assessment/take_quiz.html",
        game=game,
        quiz=quiz,
        state=state,
        submission=submission,
        waiting=submission is None and quizzes.waiting_for_results(quiz, the_bank),
        questions=questions,
        show_correct=submission is not None and state == "closed",
        form_error=form_error,
        has_errors=bool(errors),
        action_form=ActionForm(),
    ), status


def _shown_questions(quiz, player, submission, scenario, the_bank, typed, errors) -> list[dict]:
    """The questions the page shows: as marked after a submission; else the questions the
    student is asked while the quiz is open (with what was typed and each error)."""
    if submission is not None:
        asked_rows = [
            (the_bank.questions[qid], mark)
            for qid, mark in submission.marks.items()
            if qid in the_bank.questions
        ]
        return [
            {
                "question": q,
                "text": question_text(q, scenario, quiz.round.number, m["market"], m["product"]),
                "answer": submission.answers.get(q.id),
                "mark": m,
            }
            for q, m in asked_rows
        ]
    else:
        waiting = quizzes.waiting_for_results(quiz, the_bank)
        asked = (
            []
            if quizzes.window(quiz) != "open" or waiting
            else quizzes.questions_for(db.session, quiz, player, the_bank)
        )
        return [
            {
                "question": a.question,
                "text": question_text(a.question, scenario, quiz.round.number, a.market, a.product),
                "answer": typed.get(a.question.id),
                "raw": request.form.get(f"q-{a.question.id}", ""),
                "raw_list": request.form.getlist(f"q-{a.question.id}"),
                "error": errors.get(a.question.id),
            }
            for a in asked
        ]


@bp.route("/games/<int:game_id>/forecast", methods=["GET", "POST"])
def forecast(game_id: int):
    game, player = enrolment(game_id)
    if player.team is None:
        return redirect(url_for("student.home", game_id=game.id))
    scenario = games_service.game_scenario(game)
    markets = [(m.code, localized_name(m)) for m in scenario.markets]
    rnd = round_state.current_round(db.session, game)
    open_now = rnd is not None and rnd.status == "open"
    form = forecast_form(markets)()
    saved = forecasts.forecast_of(db.session, rnd, player.team) if rnd is not None else None
    status = 200
    if request.method == "POST":
        if not open_now:
            flash(error_message(forecasts.ForecastError("forecast_closed")), "error")
            return redirect(url_for("assessment.forecast", game_id=game.id))
        if form.validate_on_submit():
            units = {code: form[f"units-{code}"].data for code, _name in markets}
            profits = {code: form[f"profit-{code}"].data for code, _name in markets}
            try:
                forecasts.save_forecast(
                    db.session,
                    rnd,
                    player.team,
                    current_user,
                    [code for code, _name in markets],
                    units,
                    form.profit_cny.data,
                    profits,
                )
            except forecasts.ForecastError as exc:
                target = form._fields.get(exc.field or "", form.profit_cny)
                target.errors = [error_message(exc)]
            else:
                flash(_("Forecast saved. You can change it until the round closes."), "success")
                return redirect(url_for("assessment.forecast", game_id=game.id))
        status = 422
    elif saved is not None:
        for code, units in saved.units.items():
            if f"units-{code}" in form:
                form[f"units-{code}"].data = units
        for code, amount in (saved.profit_by_market or {}).items():
            if f"profit-{code}" in form:
                form[f"profit-{code}"].data = amount
        form.profit_cny.data = saved.profit_cny
    return render_template(
        "assessment/forecast.html",
        game=game,
        team=player.team,
        rnd=rnd,
        open_now=open_now,
        form=form,
        markets=markets,
        saved=saved,
    ), status


@bp.get("/games/<int:game_id>/grade")
def my_grade(game_id: int):
    game, _player = enrolment(game_id)
    return render_template(
        "assessment/my_grade.html",
        game=game,
        grade=gradebook.published_grade_of(db.session, game, current_user),
        components=list(gradebook.GRADE_COMPONENTS),
    )
