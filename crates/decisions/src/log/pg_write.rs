//! PostgreSQL: a whole group of batches in ONE statement, hence one round
//! trip and one implicit transaction (atomic: every decision and position,
//! or nothing). The decisions travel as one array per column and are
//! `unnest`ed; the positions likewise, upserted by a data-modifying `WITH`.
//!
//! Two statements, the same parameters. The plain one, tried first:
//!
//! ```sql
//! WITH positions AS (INSERT INTO stream_positions ... SELECT * FROM unnest(...)
//!                    ON CONFLICT (consumer, partition) DO UPDATE ...)
//! INSERT INTO decisions (...) SELECT unnest($1::text[]), unnest($2::text[]), ...
//! ```
//!
//! A `trans_num` logged before (a redelivery after a crash: rare, the card
//! states catch most duplicates before the commit) breaks the unique key,
//! the statement writes nothing, and the careful one runs instead:
//!
//! ```sql
//! WITH positions AS (...)
//! , inserted AS (INSERT INTO decisions (...) SELECT unnest($1::text[]), ...
//!                ON CONFLICT (trans_num) DO NOTHING RETURNING trans_num)
//! SELECT t FROM unnest($1::text[]) t EXCEPT SELECT trans_num FROM inserted
//! ```
//!
//! It answers with the `trans_num`s it did NOT insert (already logged), not
//! with the thousands it did. Its extra work (`ON CONFLICT` probes the
//! unique index before every insert, the returned ids go through a tuple
//! store and a hash) was a quarter of PostgreSQL's CPU in a profile, and
//! the plain statement writes a group of 16 × 256 a fifth faster
//! (`postgres/write_group_16x256` in the decisions bench; docs/benchmarks.md,
//! "Streaming"), hence the plain one first.
//!
//! The arrays are unnested in the select list (a `ProjectSet`, which
//! streams the rows), not by `FROM unnest($1, ..., $22)`: that form is a
//! table function, whose rows PostgreSQL first stores in a tuplestore and
//! then reads back (`ExecStoreMinimalTuple`, `heap_form_minimal_tuple`
//! and `ExecMakeTableFunctionResult`, about 5 % of the backend's CPU in a
//! profile of the worker's inserts). Arrays of equal
//! length give the same rows either way; the select-list form inserted
//! 4,096 decisions 10-17 % faster (`bench/pg_unnest_forms.sql`,
//! docs/benchmarks.md, "Streaming").
//!
//! The arrays are built in the wire format as the rows are read
//! (`DecisionColumns`, `store/pg_array.rs`): each value is written once,
//! where the driver sends it from. Going through a parameter list per row
//! (a `String` per text value), then one `Vec<Option<String>>` per column
//! that the driver encodes again, cost the worker's committer 4.6-5.6 µs
//! per decision against 1.55-1.67 µs (light stream decisions, in a
//! side-by-side test that was not kept). Each thread keeps its last
//! group's buffers for the next (`SPARE_COLUMNS`).
//! `cargo bench -p vigie-decisions --bench decisions -- encode` measures
//! the path as it is: 4,096 decisions with reasons, a rule and a
//! challenger, 9.0 ms (2.2 µs each), against 24.4 ms with buffers
//! allocated afresh per group.
//!
//! The statements' text does not depend on the number of rows, so each is
//! prepared once per session (a `VALUES` list of N rows was one statement
//! per N, and N × 22 parameters each). On a loaded machine every round
//! trip waits for both processes to be scheduled: BEGIN, one INSERT per
//! 256 rows, one upsert per position and COMMIT were the worker's bound.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use std::io::Write as _;

use vigie_types::TransNum;

use super::rows::{DECISION_COLUMNS, DECISION_PARAMS, RowSink, json_error, trans_num, write_row};
use crate::error::{DecisionError, Result};
use crate::record::LoggedDecision;
use crate::store::conn::Conn;
use crate::store::pg_array::{Element, PgArray};
use crate::store::values::Param;
use crate::time::UnixMillis;

/// The SQL type of each decision column, in [`write_row`] order.
const DECISION_TYPES: [Element; DECISION_PARAMS] = {
    use Element::{Float8 as F, Int8 as I, Text as T};
    [
        T, T, I, I, T, I, T, F, F, F, T, T, T, T, I, F, T, I, I, T, I, T,
    ]
};

/// An element type's name in SQL.
fn sql_type(element: Element) -> &'static str {
    match element {
        Element::Int8 => "bigint",
        Element::Float8 => "float8",
        Element::Text => "text",
    }
}

/// The two group statements (see the module documentation).
#[derive(Clone, Copy)]
enum GroupSql {
    /// A plain `INSERT`: fails on a `trans_num` logged before.
    Plain,
    /// `ON CONFLICT DO NOTHING`, answering with the refused `trans_num`s.
    Careful,
}

impl GroupSql {
    /// The statement's text, built once.
    fn text(self) -> &'static str {
        static PLAIN: OnceLock<String> = OnceLock::new();
        static CAREFUL: OnceLock<String> = OnceLock::new();
        match self {
            Self::Plain => PLAIN.get_or_init(|| self.build()),
            Self::Careful => CAREFUL.get_or_init(|| self.build()),
        }
    }

    fn build(self) -> String {
        let arrays: Vec<String> = DECISION_TYPES
            .iter()
            .enumerate()
            .map(|(i, ty)| format!("unnest(${}::{}[])", i + 1, sql_type(*ty)))
            .collect();
        let p = DECISION_PARAMS;
        let positions = format!(
            "WITH positions AS (
               INSERT INTO stream_positions (consumer, partition, last_sequence, updated_at)
               SELECT * FROM unnest(${}::text[], ${}::bigint[], ${}::bigint[], ${}::bigint[])
               ON CONFLICT (consumer, partition) DO UPDATE SET
                 last_sequence = CASE WHEN excluded.last_sequence > stream_positions.last_sequence
                                      THEN excluded.last_sequence ELSE stream_positions.last_sequence END,
                 updated_at = excluded.updated_at)",
            p + 1,
            p + 2,
            p + 3,
            p + 4,
        );
        let insert = format!(
            "INSERT INTO decisions ({DECISION_COLUMNS}) SELECT {}",
            arrays.join(", ")
        );
        match self {
            Self::Plain => format!("{positions} {insert}"),
            Self::Careful => format!(
                "{positions}
                 , inserted AS ({insert} ON CONFLICT (trans_num) DO NOTHING RETURNING trans_num)
                 SELECT t FROM unnest($1::text[]) t EXCEPT SELECT trans_num FROM inserted"
            ),
        }
    }
}

/// A group's decision rows as one array per column, in the wire format
/// (`PgArray`): each value is written once, where it is sent from.
pub(super) struct DecisionColumns {
    columns: [PgArray; DECISION_PARAMS],
    trans_nums: Vec<TransNum>,
}

/// Room per row in a column's array: a length prefix and 8 bytes, or for
/// text up to a card token's 68 characters. The record reserves its own.
fn room_per_value(element: Element) -> usize {
    match element {
        Element::Int8 | Element::Float8 => 4 + 8,
        Element::Text => 4 + 68,
    }
}

/// Room per row for the record's JSON (most are 0.8-1 KB).
const ROOM_PER_RECORD: usize = 4 + 1024;

thread_local! {
    /// The column buffers of this thread's last group, emptied, for its
    /// next one (a committer thread writes one group after another).
    /// Allocated afresh, a group's megabytes went back to the system after
    /// each group and were faulted in again: two thirds of the encoding's
    /// time in `encode/group_4096_stream_decisions` (the decisions bench).
    static SPARE_COLUMNS: RefCell<Option<[PgArray; DECISION_PARAMS]>> =
        const { RefCell::new(None) };
}

impl DecisionColumns {
    /// Empty columns with room for `rows` typical rows (this thread's
    /// previous buffers when it has some).
    fn with_rows(rows: usize) -> Self {
        let mut columns = SPARE_COLUMNS
            .take()
            .unwrap_or_else(|| DECISION_TYPES.map(|e| PgArray::with_capacity(e, 0)));
        for (index, column) in columns.iter_mut().enumerate() {
            let room = if index == DECISION_PARAMS - 1 {
                ROOM_PER_RECORD
            } else {
                room_per_value(DECISION_TYPES[index])
            };
            column.reserve(rows * room);
        }
        Self {
            columns,
            trans_nums: Vec::with_capacity(rows),
        }
    }

    /// Keeps the decision columns of a sent group (the first
    /// [`DECISION_PARAMS`] of `params`) for this thread's next group.
    fn recycle(params: Vec<Param>) {
        let columns: Vec<PgArray> = params
            .into_iter()
            .take(DECISION_PARAMS)
            .filter_map(|param| match param {
                Param::Array(mut column) => {
                    column.clear();
                    Some(column)
                }
                _ => None,
            })
            .collect();
        if let Ok(columns) = columns.try_into() {
            SPARE_COLUMNS.set(Some(columns));
        }
    }

    /// The columns of `decisions` (`rows` of them), logged at `logged_at`.
    pub(super) fn of<'a>(
        rows: usize,
        decisions: impl IntoIterator<Item = &'a LoggedDecision>,
        logged_at: UnixMillis,
    ) -> Result<Self> {
        let mut columns = Self::with_rows(rows);
        for decision in decisions {
            columns.push(decision, logged_at)?;
        }
        Ok(columns)
    }

    /// Appends `logged`'s row (checked by `write_row`: a refused row
    /// fails the group).
    fn push(&mut self, logged: &LoggedDecision, logged_at: UnixMillis) -> Result<()> {
        let mut sink = ColumnSink {
            columns: &mut self.columns,
            next: 0,
        };
        write_row(logged, logged_at, &mut sink)?;
        debug_assert_eq!(sink.next, DECISION_PARAMS);
        self.trans_nums.push(logged.record.trans_num);
        Ok(())
    }
}

/// The bytes the group write sends for `decisions`' columns (see
/// [`crate::encode_group_for_bench`]).
pub(crate) fn encoded_group_len(decisions: &[LoggedDecision]) -> Result<usize> {
    let columns = DecisionColumns::of(decisions.len(), decisions, UnixMillis(0))?;
    let mut out = bytes::BytesMut::new();
    for (column, element) in columns.columns.iter().zip(DECISION_TYPES) {
        postgres::types::ToSql::to_sql_checked(column, &element.array(), &mut out).map_err(
            |e| DecisionError::Database {
                backend: "postgres",
                message: format!("encoding a decision column: {e}"),
            },
        )?;
    }
    DecisionColumns::recycle(columns.columns.into_iter().map(Param::Array).collect());
    Ok(out.len())
}

/// Writes a row's values into the next columns, one each.
struct ColumnSink<'a> {
    columns: &'a mut [PgArray; DECISION_PARAMS],
    next: usize,
}

impl ColumnSink<'_> {
    fn column(&mut self) -> &mut PgArray {
        let column = &mut self.columns[self.next.min(DECISION_PARAMS - 1)];
        self.next += 1;
        column
    }
}

impl RowSink for ColumnSink<'_> {
    fn int(&mut self, value: Option<i64>) {
        self.column().push_opt(value, PgArray::push_int);
    }

    fn real(&mut self, value: Option<f64>) {
        self.column().push_opt(value, PgArray::push_real);
    }

    fn text(&mut self, value: Option<&str>) {
        self.column().push_opt(value, PgArray::push_text);
    }

    fn display(&mut self, value: &dyn std::fmt::Display) {
        let column = self.column();
        if column.push_text_with(|out| write!(out, "{value}")).is_err() {
            // A `Display` that fails (none of the log's does): NULL, which
            // the table refuses, rather than a row out of step.
            column.push_null();
        }
    }

    fn json<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.column()
            .push_text_with(|out| serde_json::to_writer(out, value))
            .map_err(json_error)
    }
}

/// Writes `rows` and `positions` (each from `position_params`) in one
/// statement; returns whether each row was inserted (`false`: its
/// `trans_num` was logged before, or earlier in `rows`).
pub(super) fn write_group(
    c: &mut Conn,
    rows: DecisionColumns,
    positions: &[Vec<Param>],
) -> Result<Vec<bool>> {
    let DecisionColumns {
        columns,
        trans_nums,
    } = rows;
    let mut params: Vec<Param> = columns.into_iter().map(Param::Array).collect();
    // One upsert per (consumer, partition): the furthest position wins (a
    // key twice in one `DO UPDATE` is an error).
    let mut furthest: BTreeMap<(&str, i64), (i64, i64)> = BTreeMap::new();
    for position in positions {
        if let [
            Param::Text(Some(consumer)),
            Param::Int(Some(partition)),
            Param::Int(Some(sequence)),
            Param::Int(Some(at)),
        ] = position.as_slice()
        {
            let entry = furthest
                .entry((consumer.as_str(), *partition))
                .or_insert((*sequence, *at));
            *entry = ((*sequence).max(entry.0), *at);
        } else {
            return Err(mixed("position"));
        }
    }
    let room = |e| PgArray::with_capacity(e, furthest.len() * room_per_value(e));
    let mut consumers = room(Element::Text);
    let (mut partitions, mut sequences, mut times) = (
        room(Element::Int8),
        room(Element::Int8),
        room(Element::Int8),
    );
    for ((consumer, partition), (sequence, at)) in &furthest {
        consumers.push_text(consumer);
        partitions.push_int(*partition);
        sequences.push_int(*sequence);
        times.push_int(*at);
    }
    params.extend([consumers, partitions, sequences, times].map(Param::Array));
    let inserted = execute_group(c, &params, &trans_nums);
    DecisionColumns::recycle(params);
    inserted
}

/// Runs the plain statement, then the careful one if a `trans_num` was
/// logged before; whether each of `trans_nums` was inserted.
fn execute_group(c: &mut Conn, params: &[Param], trans_nums: &[TransNum]) -> Result<Vec<bool>> {
    if c.execute_unless_duplicate(GroupSql::Plain.text(), params)? {
        return Ok(vec![true; trans_nums.len()]);
    }
    let mut refused = HashSet::new();
    for row in c.query(GroupSql::Careful.text(), params)? {
        refused.insert(trans_num(&row.text(0)?)?);
    }
    // A trans_num twice in the group is inserted for its first row.
    let mut seen = HashSet::with_capacity(trans_nums.len());
    Ok(trans_nums
        .iter()
        .map(|t| !refused.contains(t) && seen.insert(*t))
        .collect())
}

fn mixed(what: &'static str) -> DecisionError {
    DecisionError::Database {
        backend: "postgres",
        message: format!("{what}: a value of an unexpected type (a bug)"),
    }
}
