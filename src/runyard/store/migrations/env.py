"""Alembic environment: migrations run on the connection runyard hands over."""

from __future__ import annotations

from alembic import context

from runyard.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - runyard always passes its connection
    raise RuntimeError("runyard runs migrations itself: use `runyard migrate`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
