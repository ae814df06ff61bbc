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
//! then reads back (`ExecStoreMinimalTuple` and friends, 7 % of the
//! backend's CPU in a profile of the worker's inserts). Arrays of equal
//! length give the same rows either way; the select-list form inserted
//! 4,096 decisions 10-17 % faster (`bench/pg_unnest_forms.sql`,
//! docs/benchmarks.md, "Streaming").
//!
//! The statements' text does not depend on the number of rows, so each is
//! prepared once per session (a `VALUES` list of N rows was one statement
//! per N, and N × 22 parameters each). On a loaded machine every round
//! trip waits for both processes to be scheduled: BEGIN, one INSERT per
//! 256 rows, one upsert per position and COMMIT were the worker's bound.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use super::rows::{DECISION_COLUMNS, DECISION_PARAMS};
use crate::error::{DecisionError, Result};
use crate::store::conn::Conn;
use crate::store::values::Param;

/// The SQL type of each decision column, in `insert_params` order.
const DECISION_TYPES: [&str; DECISION_PARAMS] = [
    "text", "text", "bigint", "bigint", "text", "bigint", "text", "float8", "float8", "float8",
    "text", "text", "text", "text", "bigint", "float8", "text", "bigint", "bigint", "text",
    "bigint", "text",
];

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
            .map(|(i, ty)| format!("unnest(${}::{ty}[])", i + 1))
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

/// Writes `rows` (each from `insert_params`, the `trans_num` first) and
/// `positions` (each from `position_params`) in one statement; returns
/// whether each row was inserted (`false`: its `trans_num` was logged
/// before, or earlier in `rows`).
pub(super) fn write_group(
    c: &mut Conn,
    rows: Vec<Vec<Param>>,
    positions: &[Vec<Param>],
) -> Result<Vec<bool>> {
    let row_count = rows.len();
    let mut columns: Vec<Vec<Param>> = (0..DECISION_PARAMS)
        .map(|_| Vec::with_capacity(rows.len()))
        .collect();
    for row in rows {
        for (column, value) in columns.iter_mut().zip(row) {
            column.push(value);
        }
    }
    let mut params: Vec<Param> = columns
        .into_iter()
        .zip(DECISION_TYPES)
        .map(|(values, ty)| to_array(values, ty))
        .collect::<Result<_>>()?;
    // One upsert per (consumer, partition): the furthest position wins (a
    // key twice in one `DO UPDATE` is an error).
    let mut furthest: BTreeMap<(String, i64), (i64, i64)> = BTreeMap::new();
    for position in positions {
        if let [
            Param::Text(Some(consumer)),
            Param::Int(Some(partition)),
            Param::Int(Some(sequence)),
            Param::Int(Some(at)),
        ] = position.as_slice()
        {
            let entry = furthest
                .entry((consumer.clone(), *partition))
                .or_insert((*sequence, *at));
            *entry = ((*sequence).max(entry.0), *at);
        } else {
            return Err(mixed("position"));
        }
    }
    params.push(Param::TextArray(
        furthest.keys().map(|(c, _)| Some(c.clone())).collect(),
    ));
    params.push(Param::IntArray(
        furthest.keys().map(|(_, p)| Some(*p)).collect(),
    ));
    params.push(Param::IntArray(
        furthest.values().map(|(s, _)| Some(*s)).collect(),
    ));
    params.push(Param::IntArray(
        furthest.values().map(|(_, at)| Some(*at)).collect(),
    ));
    if c.execute_unless_duplicate(GroupSql::Plain.text(), &params)? {
        return Ok(vec![true; row_count]);
    }
    let mut refused = HashSet::new();
    for row in c.query(GroupSql::Careful.text(), &params)? {
        refused.insert(row.text(0)?);
    }
    // A trans_num twice in the group is inserted for its first row.
    let Param::TextArray(trans_nums) = &params[0] else {
        return Err(mixed("trans_num column"));
    };
    let mut seen = HashSet::with_capacity(trans_nums.len());
    Ok(trans_nums
        .iter()
        .map(|t| match t {
            Some(t) => !refused.contains(t) && seen.insert(t.as_str()),
            None => false,
        })
        .collect())
}

/// One column's values as an array parameter of SQL type `ty`.
fn to_array(values: Vec<Param>, ty: &str) -> Result<Param> {
    let column = || mixed("decision column");
    let values = values.into_iter();
    Ok(match ty {
        "text" => Param::TextArray(
            values
                .map(|v| match v {
                    Param::Text(t) => Ok(t),
                    _ => Err(column()),
                })
                .collect::<Result<_>>()?,
        ),
        "bigint" => Param::IntArray(
            values
                .map(|v| match v {
                    Param::Int(i) => Ok(i),
                    _ => Err(column()),
                })
                .collect::<Result<_>>()?,
        ),
        _ => Param::RealArray(
            values
                .map(|v| match v {
                    Param::Real(r) => Ok(r),
                    _ => Err(column()),
                })
                .collect::<Result<_>>()?,
        ),
    })
}

fn mixed(what: &'static str) -> DecisionError {
    DecisionError::Database {
        backend: "postgres",
        message: format!("{what}: a value of an unexpected type (a bug)"),
    }
}
