"""initial store: every table SPEC §5 names

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 01:56:55.520951
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pipeline_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('logical_date', sa.Date(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='1', nullable=False),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('data_quality', sa.JSON(), nullable=True),
    sa.Column('list_version', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_runs')),
    sa.UniqueConstraint('logical_date', name=op.f('uq_pipeline_runs_logical_date'))
    )
    op.create_table('send_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('list_version', sa.Integer(), nullable=False),
    sa.Column('list_digest', sa.String(length=64), nullable=False),
    sa.Column('rows_in', sa.Integer(), nullable=False),
    sa.Column('kept', sa.Integer(), nullable=False),
    sa.Column('suppressed', sa.Integer(), nullable=False),
    sa.Column('invalid', sa.Integer(), nullable=False),
    sa.Column('input_sha256', sa.String(length=64), nullable=False),
    sa.Column('output_sha256', sa.String(length=64), nullable=False),
    sa.Column('input_path', sa.Text(), nullable=True),
    sa.Column('receipt_path', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_send_checks'))
    )
    op.create_table('suppressions',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('match_key', sa.Text(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('first_requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channels', sa.Text(), nullable=False),
    sa.Column('effective_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('list_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_suppressions')),
    sa.UniqueConstraint('match_key', name=op.f('uq_suppressions_match_key'))
    )
    op.create_table('ingested_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('folder_date', sa.Date(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('ignored', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('needs_review', sa.Integer(), nullable=False),
    sa.Column('duplicate', sa.Integer(), nullable=False),
    sa.Column('quarantine_error', sa.Text(), nullable=True),
    sa.Column('ingested_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['pipeline_runs.id'], name=op.f('fk_ingested_files_run_id_pipeline_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingested_files')),
    sa.UniqueConstraint('channel', 'sha256', name=op.f('uq_ingested_files_channel_sha256'))
    )
    op.create_table('list_versions',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('lifted', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('last_event_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['pipeline_runs.id'], name=op.f('fk_list_versions_run_id_pipeline_runs')),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_list_versions'))
    )
    op.create_table('intake_records',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('source_ref', sa.Text(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.Column('locator', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('details', sa.Text(), server_default='', nullable=False),
    sa.Column('raw', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['file_id'], ['ingested_files.id'], name=op.f('fk_intake_records_file_id_ingested_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_records')),
    sa.UniqueConstraint('channel', 'source_ref', name=op.f('uq_intake_records_channel_source_ref'))
    )
    op.create_table('optout_events',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('match_key', sa.Text(), nullable=True),
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('evidence', sa.Text(), server_default='', nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('row_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['intake_records.id'], name=op.f('fk_optout_events_record_id_intake_records')),
    sa.ForeignKeyConstraint(['run_id'], ['pipeline_runs.id'], name=op.f('fk_optout_events_run_id_pipeline_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_optout_events')),
    sa.UniqueConstraint('row_hash', name=op.f('uq_optout_events_row_hash'))
    )
    with op.batch_alter_table('optout_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_optout_events_key_hash'), ['key_hash'], unique=False)

    op.create_table('review_queue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('details', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.String(length=16), server_default='open', nullable=False),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('resolved_by', sa.Text(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['intake_records.id'], name=op.f('fk_review_queue_record_id_intake_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_queue'))
    )


def downgrade() -> None:
    op.drop_table('review_queue')
    with op.batch_alter_table('optout_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_optout_events_key_hash'))

    op.drop_table('optout_events')
    op.drop_table('intake_records')
    op.drop_table('list_versions')
    op.drop_table('ingested_files')
    op.drop_table('suppressions')
    op.drop_table('send_checks')
    op.drop_table('pipeline_runs')
