"""The migrations build exactly the schema the models describe (run on both databases)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect


def test_no_pending_autogenerate_diff(db):
    context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
    assert compare_metadata(context, db.metadata) == []


def test_schema_has_every_model_table_and_the_alembic_version(db):
    tables = set(inspect(db.session.connection()).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_constraint_names_follow_the_naming_convention(db):
    insp = inspect(db.session.connection())
    for table in db.metadata.tables:
        for fk in insp.get_foreign_keys(table):
            assert fk["name"].startswith("fk_"), (table, fk)
        for uq in insp.get_unique_constraints(table):
            assert uq["name"].startswith("uq_"), (table, uq)
