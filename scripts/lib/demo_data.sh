# shellcheck shell=bash
# The demo's data: a small knowledge-base schema (documents, chunks with
# embeddings, some still missing) on the primary and on the client laptop,
# the laptop's write queue with unsynced rows, and a backup file.
# Sourced by scripts/demo; uses its ROOT and run_as_postgres.
#
#   data_primary PGDIR      schema + rows on the pgcluster in PGDIR, the
#                           documents table published; a WAL switch so the
#                           archiver has archived something
#   data_client PGDIR PORT  the same schema plus write_queue on the client,
#                           whose documents table subscribes to the
#                           primary's (on 127.0.0.1:PORT) by logical
#                           replication
#   data_backup PGDIR OUT   pg_dump of the primary, gzipped, into file OUT

# The embedding column is real[]: there is no pgvector package for
# PostgreSQL 15 on Debian 12 (the checks do not care about the type).
DATA_SCHEMA_SQL="
CREATE TABLE documents (id int PRIMARY KEY, category text NOT NULL, title text NOT NULL);
CREATE TABLE chunks (id serial PRIMARY KEY, document_id int NOT NULL REFERENCES documents (id),
                     content text NOT NULL, embedding real[]);
INSERT INTO documents VALUES (1, 'manual', 'Failover runbook'), (2, 'manual', 'Backups'),
                             (3, 'faq', 'Why is the standby behind?'), (4, 'notes', 'Laptop sync');
INSERT INTO chunks (document_id, content, embedding) VALUES
  (1, 'Promote the standby with pg_promote().', '{0.1,0.2,0.3}'),
  (1, 'Then repoint the clients.', NULL),
  (2, 'Nightly pg_dump to the backup disk.', '{0.3,0.1,0.2}'),
  (3, 'Replay can be paused; check pg_is_wal_replay_paused().', NULL),
  (4, 'Offline edits wait in the write queue.', NULL);
GRANT SELECT ON documents, chunks TO pgwarden;
"

data_primary() {  # PGDIR
  # A slot may hold back at most 1 GB of WAL (so slot_safe_wal_size_bytes
  # has a value: without a limit PostgreSQL reports NULL).
  "$ROOT/scripts/pgcluster" psql "$1" -q <<SQL
$DATA_SCHEMA_SQL
CREATE PUBLICATION kb_documents FOR TABLE documents;
ALTER SYSTEM SET max_slot_wal_keep_size = '1GB';
SELECT pg_reload_conf();
SELECT pg_switch_wal();
SQL
}

data_client() {  # PGDIR PRIMARY_PORT
  # The rows are already there (the same schema script): copy_data = false.
  # The subscription's slot on alpha is a logical slot with a consumer.
  "$ROOT/scripts/pgcluster" psql "$1" -q <<SQL
$DATA_SCHEMA_SQL
CREATE SUBSCRIPTION kb_documents CONNECTION 'host=127.0.0.1 port=$2 user=postgres dbname=postgres'
  PUBLICATION kb_documents WITH (copy_data = false);
CREATE TABLE write_queue (id serial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
                          synced boolean NOT NULL DEFAULT false, payload jsonb NOT NULL);
INSERT INTO write_queue (created_at, synced, payload) VALUES
  (now() - interval '3 hours', true, '{"op": "insert", "document": 4}'),
  (now() - interval '25 minutes', false, '{"op": "update", "chunk": 5}'),
  (now() - interval '4 minutes', false, '{"op": "insert", "chunk": 6}'),
  (now() - interval '1 minute', false, '{"op": "delete", "chunk": 2}');
GRANT SELECT ON write_queue TO pgwarden;
SQL
}

data_backup() {  # PGDIR OUT
  local port pgbin
  port=$(sed -n 's/^PRIMARY_PORT=//p' "$1/env")
  pgbin=$(sed -n 's/^PGBIN=//p' "$1/env")
  run_as_postgres "$pgbin/pg_dump" -h "$1" -p "$port" -U postgres -d postgres | gzip >"$2"
}
