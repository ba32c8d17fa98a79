"""Mirror schemas, the star schema the Flink jobs write, and the reporting views Superset reads.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

MIRROR_SCHEMAS = ("ecom", "inventory", "identity")

# Mirror tables the reporting views read, created here with exactly the DDL the Debezium JDBC sink would
# give them, so the views exist before the first change event arrives (the sink then upserts into them).
MIRROR_TABLES = [
    *(
        f"create table if not exists {schema}.cdc_heartbeat (id integer primary key, beat_at timestamptz(6) not null)"
        for schema in MIRROR_SCHEMAS
    ),
    "create table if not exists identity.user_entity (id text primary key, enabled boolean not null default false,"
    " realm_id varchar(255), username varchar(255), created_timestamp bigint)",
]

STAR = """
create schema star;

-- Calendar: one row per day 2020-2035 (static; a date_key is yyyymmdd).
create table star.dim_date (
    date_key integer primary key,
    full_date date not null unique,
    year integer not null,
    quarter integer not null,
    month integer not null,
    month_name text not null,
    day integer not null,
    iso_week integer not null,
    iso_dow integer not null,
    is_weekend boolean not null
);
insert into star.dim_date
select to_char(d, 'YYYYMMDD')::integer, d::date, extract(year from d)::integer, extract(quarter from d)::integer,
       extract(month from d)::integer, trim(to_char(d, 'Month')), extract(day from d)::integer,
       extract(week from d)::integer, extract(isodow from d)::integer, extract(isodow from d) >= 6
from generate_series(date '2020-01-01', date '2035-12-31', interval '1 day') as d;

-- Written by the Flink jobs (analytics/flink/): upserts keyed by the primary key; times are UTC.
create table star.dim_book (
    book_id uuid primary key,
    title varchar(300) not null,
    author varchar(200) not null,
    genre varchar(50) not null,
    isbn13 varchar(13) not null,
    published_year integer not null,
    price numeric(8, 2) not null,
    active boolean not null,
    updated_at timestamp(6) not null
);
create table star.fact_order_line (
    order_id uuid not null,
    book_id uuid not null,
    customer_id varchar(64) not null,
    quantity integer not null,
    unit_price numeric(8, 2) not null,
    line_amount numeric(12, 2) not null,
    order_status varchar(16) not null,
    ordered_at timestamp(6) not null,
    cancelled_at timestamp(6),
    date_key integer not null,
    primary key (order_id, book_id)
);
create index ix_fact_order_line_date_key on star.fact_order_line (date_key);
create table star.fact_stock_movement (
    movement_id uuid primary key,
    book_id uuid not null,
    delta integer not null,
    reason varchar(32) not null,
    order_id uuid,
    moved_at timestamp(6) not null,
    date_key integer not null
);
create table star.stock_level (
    book_id uuid primary key,
    available integer not null,
    reserved integer not null,
    updated_at timestamp(6) not null
);
-- Streaming aggregates of confirmed orders: a cancel or a deleted line retracts from them.
create table star.agg_book_sales (
    book_id uuid primary key,
    units_sold bigint not null,
    revenue numeric(14, 2) not null,
    orders bigint not null
);
create table star.agg_daily_sales (
    sales_date date primary key,
    revenue numeric(14, 2) not null,
    orders bigint not null,
    units bigint not null
);
"""

VIEWS = """
create schema reporting;

create view reporting.dim_customer as
select u.id as customer_id, u.username, u.enabled,
       to_timestamp(u.created_timestamp / 1000.0) at time zone 'UTC' as registered_at, u.realm_id
from identity.user_entity u;

create view reporting.product_sales_volume as
select b.title, b.author, b.genre, s.units_sold, s.revenue, s.orders, s.book_id
from star.agg_book_sales s join star.dim_book b using (book_id)
where s.units_sold > 0;

create view reporting.sales_per_day as
select sales_date, revenue, orders, units,
       case when orders > 0 then round(revenue / orders, 2) end as average_order_value
from star.agg_daily_sales
where orders > 0;

create view reporting.sales_per_week as
select date_trunc('week', ordered_at)::date as week_start, sum(line_amount) as revenue,
       count(distinct order_id) as orders, sum(quantity) as units
from star.fact_order_line where order_status = 'CONFIRMED'
group by 1;

create view reporting.revenue_by_author as
select b.author, sum(f.line_amount) as revenue, sum(f.quantity) as units
from star.fact_order_line f join star.dim_book b using (book_id)
where f.order_status = 'CONFIRMED'
group by b.author;

create view reporting.revenue_by_genre as
select b.genre, sum(f.line_amount) as revenue, sum(f.quantity) as units
from star.fact_order_line f join star.dim_book b using (book_id)
where f.order_status = 'CONFIRMED'
group by b.genre;

create view reporting.top_books_by_revenue as
select rank() over (order by s.revenue desc) as rank, b.title, b.author, s.revenue, s.units_sold
from star.agg_book_sales s join star.dim_book b using (book_id)
where s.revenue > 0;

create view reporting.order_status_distribution as
select order_status, count(distinct order_id) as orders
from star.fact_order_line group by order_status;

create view reporting.average_order_value_per_day as
select d.full_date, round(sum(f.line_amount) / count(distinct f.order_id), 2) as average_order_value
from star.fact_order_line f join star.dim_date d using (date_key)
where f.order_status = 'CONFIRMED'
group by d.full_date;

create view reporting.orders_per_minute as
select date_trunc('minute', ordered_at) as minute, count(distinct order_id) as orders
from star.fact_order_line group by 1;

create view reporting.inventory_health as
select b.title, b.author, s.available, s.reserved,
       case when s.available = 0 then 'critical' when s.available <= 5 then 'low' else 'ok' end as health
from star.stock_level s join star.dim_book b using (book_id);

create view reporting.stock_vs_reserved as
select b.title, s.available, s.reserved, s.available + s.reserved as on_hand
from star.stock_level s join star.dim_book b using (book_id);

create view reporting.inventory_turnover as
select b.title, coalesce(sold.units, 0) as units_sold_30d, s.available + s.reserved as on_hand,
       round(coalesce(sold.units, 0)::numeric / nullif(s.available + s.reserved, 0), 2) as turnover_30d
from star.stock_level s
join star.dim_book b using (book_id)
left join (
    select book_id, sum(quantity) as units from star.fact_order_line
    where order_status = 'CONFIRMED' and ordered_at > (now() at time zone 'UTC') - interval '30 days'
    group by book_id
) sold using (book_id);

create view reporting.stock_movements_per_day as
select d.full_date, m.reason, sum(m.delta) as units, count(*) as movements
from star.fact_stock_movement m join star.dim_date d using (date_key)
group by d.full_date, m.reason;

-- Freshness of every mirrored table: its source's last heartbeat seen in analytics-db.
create view reporting.cdc_freshness as
with beats as (
    select 'ecom' as source, max(beat_at) as last_beat from ecom.cdc_heartbeat
    union all select 'inventory', max(beat_at) from inventory.cdc_heartbeat
    union all select 'identity', max(beat_at) from identity.cdc_heartbeat
)
-- pg_catalog, not information_schema: the latter hides tables the querying role (reporting) may not read.
select n.nspname::text as source, c.relname::text as table_name, b.last_beat,
       round(extract(epoch from now() - b.last_beat)::numeric, 1) as lag_seconds
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join beats b on b.source = n.nspname
where c.relkind = 'r' and c.relname <> 'cdc_heartbeat';
"""


def upgrade() -> None:
    for schema in MIRROR_SCHEMAS:
        op.execute(f"create schema if not exists {schema}")
    for ddl in MIRROR_TABLES:
        op.execute(ddl)
    op.execute(STAR)
    op.execute(VIEWS)
    # Superset's read-only role (created by `bookstore up`) sees the reporting views and nothing else.
    op.execute(
        "do $$ begin if exists (select 1 from pg_roles where rolname = 'reporting') then"
        " grant usage on schema reporting to reporting;"
        " grant select on all tables in schema reporting to reporting;"
        " end if; end $$"
    )


def downgrade() -> None:
    op.execute("drop schema reporting cascade")
    op.execute("drop schema star cascade")
    # The mirror schemas hold what the sinks replicate; they stay (re-upgrading recreates only what is missing).
