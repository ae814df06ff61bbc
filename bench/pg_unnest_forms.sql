-- How PostgreSQL inserts a group of decisions sent as one array per column:
-- `SELECT * FROM unnest($1, ..., $22)` (a table function, materialised in a
-- tuplestore) against `SELECT unnest($1), ..., unnest($22)` (a ProjectSet,
-- streamed), which crates/decisions/src/log/pg_write.rs uses. Alternates the
-- two forms, each into its own copy of the decision table (made from the
-- migrations: same columns, collations, checks and indexes), 4,096 rows a
-- statement with random trans_nums and 850-byte records, timed inside the
-- server.
--
--   psql -h 127.0.0.1 -U postgres test -f bench/pg_unnest_forms.sql
--
-- Prints, per form: statements, mean, best and median milliseconds. Works
-- in its own schema (bench_unnest_forms), dropped at the end.
\set ON_ERROR_STOP on
drop schema if exists bench_unnest_forms cascade;
create schema bench_unnest_forms;
set search_path = bench_unnest_forms;
-- The log's own tables, from its migrations (so the copies below keep its
-- columns, collations, checks and indexes as they change).
\ir ../crates/decisions/migrations/postgres/0001_decisions.sql
\ir ../crates/decisions/migrations/postgres/0002_bytewise_ids.sql
\ir ../crates/decisions/migrations/postgres/0003_card_index.sql
create table ta (like decisions including all);
create table tb (like ta including all);
create or replace function run(n int, iters int) returns table(form text, ms float8) language plpgsql as $$
declare
  a1 text[]; a2 text[]; a3 bigint[]; a4 bigint[]; a5 text[]; a6 bigint[]; a7 text[]; a8 float8[]; a9 float8[]; a10 float8[];
  a11 text[]; a12 text[]; a13 text[]; a14 text[]; a15 bigint[]; a16 float8[]; a17 text[]; a18 bigint[]; a19 bigint[]; a20 text[]; a21 bigint[]; a22 text[];
  t timestamptz; i int;
begin
  for i in 1..iters loop
    select array_agg(md5(random()::text)), array_agg('ct1_' || md5((g%5600)::text) || md5((g%5600)::text)), array_agg(1600000000::bigint+g), array_agg(4250::bigint),
      array_agg('card-fraud'::text), array_agg(1::bigint), array_agg(md5('x')||md5('y')), array_agg(random()), array_agg(0.14::float8), array_agg(0.14::float8),
      array_agg('allow'::text), array_agg(''::text), array_agg(''::text), array_agg(null::text), array_agg(null::bigint), array_agg(null::float8), array_agg(null::text),
      array_agg(0::bigint), array_agg(55::bigint), array_agg('stream'::text), array_agg((extract(epoch from now())*1000)::bigint), array_agg(repeat('{"trans_num":"e8ca555a0605278ff3af07049ed5d26b",', 17))
    into a1,a2,a3,a4,a5,a6,a7,a8,a9,a10,a11,a12,a13,a14,a15,a16,a17,a18,a19,a20,a21,a22 from generate_series(1,n) g;
    t := clock_timestamp();
    if i % 2 = 0 then
      insert into ta (trans_num, card_token, event_time, amount_cents, model_name, model_version, feature_schema_hash, score, review_threshold, block_threshold, decision, reason_codes, rules_fired, challenger_model, challenger_version, challenger_score, challenger_decision, degraded, latency_us, source, logged_at, record)
        select * from unnest(a1,a2,a3,a4,a5,a6,a7,a8,a9,a10,a11,a12,a13,a14,a15,a16,a17,a18,a19,a20,a21,a22);
      form := 'FROM unnest(...)'; 
    else
      insert into tb (trans_num, card_token, event_time, amount_cents, model_name, model_version, feature_schema_hash, score, review_threshold, block_threshold, decision, reason_codes, rules_fired, challenger_model, challenger_version, challenger_score, challenger_decision, degraded, latency_us, source, logged_at, record)
        select unnest(a1),unnest(a2),unnest(a3),unnest(a4),unnest(a5),unnest(a6),unnest(a7),unnest(a8),unnest(a9),unnest(a10),unnest(a11),unnest(a12),unnest(a13),unnest(a14),unnest(a15),unnest(a16),unnest(a17),unnest(a18),unnest(a19),unnest(a20),unnest(a21),unnest(a22);
      form := 'SELECT unnest(), ...';
    end if;
    ms := extract(epoch from clock_timestamp() - t) * 1000;
    return next;
  end loop;
end $$;

select form, count(*) as statements, round(avg(ms)::numeric, 1) as mean_ms,
       round(min(ms)::numeric, 1) as best_ms,
       round((percentile_cont(0.5) within group (order by ms))::numeric, 1) as median_ms
  from run(4096, 40) group by form order by form;
drop schema bench_unnest_forms cascade;
