#!/usr/bin/env bash
# Prepares the CDC source databases the way local mode's bookstore/cdc.py (_prepare_source) does, once the objects it
# needs exist: the services' Alembic migrations (init containers) and Keycloak's first start create the tables after
# CloudNativePG's init SQL has run, so that SQL cannot do it. Run by the cdc-prepare-sources post-install/post-upgrade
# hook Job; idempotent (every statement is a no-op the second time).
#   ecom, inventory: REPLICA IDENTITY FULL on every table of `public` but the outbox and alembic_version. Flink reads
#     them as debezium-json, which needs full before-images: without them the first UPDATE fails the Flink job.
#   keycloak (CDC_IDENTITY=1): the heartbeat table, Debezium's grants and the publication of the identity mirror
#     (user_entity's allow-listed columns and the heartbeat), which can only be created once user_entity exists.
# Each wait is bounded (CDC_PREPARE_ATTEMPTS x CDC_PREPARE_DELAY_SECONDS) and logs what it waits for.
set -euo pipefail

ATTEMPTS="${CDC_PREPARE_ATTEMPTS:-120}"
DELAY="${CDC_PREPARE_DELAY_SECONDS:-5}"
EXCLUDED="{outbox,alembic_version}"  # as bookstore/cdc.py's EXCLUDED_TABLES

log() { printf '%s cdc-prepare: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# q DB [psql args]: SQL on DB's primary as the database owner, who owns the tables (ALTER TABLE and CREATE
# PUBLICATION ... FOR TABLE need ownership). Passwords come from the generated <db>-db-owner Secrets.
q() {
  local db="$1" var
  shift
  var="$(printf '%s_PASSWORD' "$db" | tr '[:lower:]' '[:upper:]')"
  PGPASSWORD="${!var}" psql "host=${db}-db-rw dbname=${db} user=${db} sslmode=require connect_timeout=5" \
    -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

# wait_for DB QUERY WHAT: until QUERY prints `t`; fails after ATTEMPTS tries (the Job then retries, then fails).
wait_for() {
  local db="$1" query="$2" what="$3" i out
  for ((i = 1; i <= ATTEMPTS; i++)); do
    if out="$(q "$db" -c "$query" 2>&1)" && [[ "$out" == "t" ]]; then
      log "$db: $what: present"
      return 0
    fi
    log "$db: waiting for $what (attempt $i/$ATTEMPTS): ${out:-not yet}"
    sleep "$DELAY"
  done
  log "$db: gave up waiting for $what after $ATTEMPTS attempts"
  return 1
}

# replica_identity DB TABLES: once the migrations created TABLES (the ones Flink reads), every captured table FULL.
replica_identity() {
  local db="$1" tables="$2"
  wait_for "$db" "select count(*) = cardinality('$tables'::text[]) from pg_tables
                  where schemaname = 'public' and tablename = any('$tables'::text[])" "tables $tables"
  q "$db" <<SQL
do \$\$
declare t text;
begin
  for t in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'public' and c.relkind = 'r' and c.relreplident <> 'f'
             and not (c.relname = any('$EXCLUDED'::text[]))
  loop
    execute format('alter table public.%I replica identity full', t);
  end loop;
end \$\$;
SQL
  log "$db: replica identity full on: $(q "$db" -c "select string_agg(c.relname, ',' order by c.relname)
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and c.relreplident = 'f'")"
}

# identity_source: keycloak-db as local mode prepares it for Source("identity", "keycloak-db", ...).
identity_source() {
  wait_for keycloak "select exists (select 1 from pg_roles where rolname = 'debezium')" \
    "role debezium (a CloudNativePG managed role)"
  q keycloak <<'SQL'
create table if not exists public.cdc_heartbeat (id int primary key, beat_at timestamptz not null);
grant usage on schema public to debezium;
grant select, insert, update on public.cdc_heartbeat to debezium;
SQL
  wait_for keycloak "select to_regclass('public.user_entity') is not null" "table user_entity (Keycloak's first start)"
  # Only the allow-listed columns are published: no credentials, no other table (bookstore/cdc.py SOURCES).
  q keycloak <<'SQL'
grant select on public.user_entity to debezium;
do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'cdc_keycloak') then
    create publication cdc_keycloak
      for table public.user_entity (id, username, created_timestamp, enabled, realm_id), public.cdc_heartbeat;
  end if;
end $$;
SQL
  log "keycloak: publication cdc_keycloak ready"
}

replica_identity ecom "{book,customer_order,order_item}"
replica_identity inventory "{stock,stock_movement}"
if [[ "${CDC_IDENTITY:-0}" == "1" ]]; then
  identity_source
fi
log "done"
