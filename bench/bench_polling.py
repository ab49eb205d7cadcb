"""Cheap polling: the projector's and the leaderboard's "not modified" answers against a bare
Flask route, in the same run, same server settings, same load generator (issue 18, point 2).

A game of scenarios/tutorial.toml with 40 student teams and 3 published rounds in a temporary
SQLite file, served by gunicorn (2 sync workers, as ``make run``; the app is created, then
``gc.freeze()``). The baseline is a one-route Flask app (``return "ok"``) served the same way.
8 closed-loop clients (separate processes, a new connection per request) for a few seconds
each:

1. bare Flask route (the baseline);
2. projector state via the secret link, If-None-Match current: 304;
3. projector state logged in (student), If-None-Match current: 304;
4. leaderboard page (student), If-None-Match current: 304;
5. projector state via the link, full 200 body (for scale).

Target (issue 18): row 2 at >= 50 % of row 1's requests/s, p99 <= 20 ms. Prints numbers,
asserts nothing.

    .venv/bin/python bench/bench_polling.py [--quick]
"""

from __future__ import annotations

import gc
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpload  # noqa: E402
import worlds  # noqa: E402

TEAMS = 40
PUBLISHED = 3
SECRET = "bench-polling-secret-key-0123456789abcdef0123"
PASSWORD = "plum orchard seventeen"


def wsgi_app():
    """gunicorn entry point: ``bench_polling:wsgi_app()``."""
    from simshop import create_app

    app = create_app(
        {
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.environ['BENCH_DB']}",
        }
    )
    gc.collect()
    gc.freeze()
    return app


def bare_app():
    """gunicorn entry point for the baseline: ``bench_polling:bare_app()``."""
    from flask import Flask

    app = Flask(__name__)

    @app.get("/login")
    def hello():
        return "ok"

    gc.collect()
    gc.freeze()
    return app


def build_database(path: str) -> dict:
    from simshop import create_app
    from simshop.db import db, init_db
    from simshop.services import projector as projector_service

    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        init_db()
        s = db.session
        teacher, game, _current = worlds.published_class(
            s,
            password=PASSWORD,
            title="Polling bench",
            scenario_file="tutorial.toml",
            scored_rounds=PUBLISHED + 1,
            practice_rounds=0,
            bot_count=2,
            seed=77,
            teams=TEAMS,
            published=PUBLISHED,
        )
        token = projector_service.rotate_projector_link(s, game, teacher).token
        return {"game_id": game.id, "token": token}


def login_cookie(base: str) -> str:
    import requests

    http = requests.Session()
    page = http.get(f"{base}/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = http.post(
        f"{base}/login",
        data={"login": "bench-student", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.status_code
    return "; ".join(f"{k}={v}" for k, v in http.cookies.get_dict().items())


def main() -> int:
    seconds = 2.0 if "--quick" in sys.argv else 5.0
    import requests

    with tempfile.TemporaryDirectory(prefix="bench-polling-") as tmp:
        db_path = os.path.join(tmp, "bench.sqlite")
        info = build_database(db_path)
        bare, bare_base = httpload.start_gunicorn(
            "bench_polling:bare_app()", env={}, log_path=os.path.join(tmp, "bare.log")
        )
        app, base = httpload.start_gunicorn(
            "bench_polling:wsgi_app()",
            env={"BENCH_DB": db_path},
            log_path=os.path.join(tmp, "app.log"),
        )
        try:
            cookie = login_cookie(base)
            link = f"/projector/{info['token']}/state"
            mine = f"/games/{info['game_id']}/projector/state"
            board = f"/games/{info['game_id']}/leaderboard"
            etag = requests.get(base + link).headers["ETag"]
            board_etag = requests.get(base + board, headers={"Cookie": cookie}).headers["ETag"]
            print(f"2 sync workers each; 8 closed-loop clients, {seconds:.0f} s per row")
            rows = [
                ("bare Flask route (baseline)", bare_base, "/login", {}),
                ("projector 304, secret link", base, link, {"If-None-Match": etag}),
                (
                    "projector 304, logged in",
                    base,
                    mine,
                    {"If-None-Match": etag, "Cookie": cookie},
                ),
                (
                    "leaderboard page 304, logged in",
                    base,
                    board,
                    {"If-None-Match": board_etag, "Cookie": cookie},
                ),
                ("projector 200 full body, secret link", base, link, {}),
            ]
            baseline = None
            for name, where, path, headers in rows:
                time.sleep(0.5)
                lat, statuses, rate = httpload.closed_loop(
                    where, path, clients=8, seconds=seconds, headers=headers
                )
                baseline = baseline or rate
                share = f"  {100 * rate / baseline:5.1f} % of bare"
                print(httpload.line(name, lat, rate, statuses) + share, flush=True)
        finally:
            httpload.stop(app)
            httpload.stop(bare)
        errors = Path(tmp, "app.log").read_text()
        if "Traceback" in errors:
            print("server errors:\n" + errors[-3000:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
