"""Flask extensions, created unbound; ``create_app`` binds them to an application."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from simshop.db import db

migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# No default limits: each sensitive route names its own (see views/auth.py).
limiter = Limiter(key_func=get_remote_address)

__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate"]
