"""Alembic environment for SimShop, run through Flask-Migrate (``flask --app simshop db ...``).

Adapted from Flask-Migrate's template for Flask-SQLAlchemy 3 (``db.engine``, not the
deprecated ``get_engine()``). ``render_as_batch`` comes from ``Migrate(...)`` in
simshop/extensions.py so ALTER TABLE works on SQLite.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config

# Interpret the config file for Python logging, unless logging is already set up (by pytest
# or the application): fileConfig would replace those handlers.
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def get_engine():
    return target_db.engine


def get_engine_url():
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


config.set_main_option("sqlalchemy.url", get_engine_url())


def get_metadata():
    return target_db.metadata


def run_migrations_offline():
    """Emit SQL to stdout instead of running it (``flask db upgrade --sql``)."""
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations against the application's engine."""

    # Don't write an empty revision when autogenerate finds no change.
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    with get_engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table (create, copy, drop, rename); with foreign keys on,
            # the drop cascades into every child table (a migration of ``rounds`` would
            # delete every decision and result). The pragma is a no-op inside a
            # transaction, so it is set on the driver connection before one begins, and the
            # keys are checked before the migration commits.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)

        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
        if sqlite:
            if connection.in_transaction():  # Flask-Migrate's stamp may leave one open
                connection.commit()
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
