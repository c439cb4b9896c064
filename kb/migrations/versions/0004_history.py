"""imported ticket history and its import records

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("redaction", sa.JSON(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("history_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_history_imports_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_history_imports_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "history_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("thread", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("csat_score", sa.Double(), nullable=True),
        sa.Column("csat_label", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["history_imports.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "source", "external_id"),
    )
    with op.batch_alter_table("history_tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_history_tickets_import_id"), ["import_id"], unique=False)
        batch_op.create_index("ix_history_tickets_tenant_id_id", ["tenant_id", "id"], unique=False)
        batch_op.create_index(
            "ix_history_tickets_tenant_id_created_at", ["tenant_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_history_tickets_tenant_id_language", ["tenant_id", "language"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("history_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_history_tickets_tenant_id_language")
        batch_op.drop_index("ix_history_tickets_tenant_id_created_at")
        batch_op.drop_index("ix_history_tickets_tenant_id_id")
        batch_op.drop_index(batch_op.f("ix_history_tickets_import_id"))

    op.drop_table("history_tickets")
    with op.batch_alter_table("history_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_imports_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_history_imports_sha256"))

    op.drop_table("history_imports")
