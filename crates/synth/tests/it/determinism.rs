//! Same seed, same bytes; limits and order.

use crate::{config, records, run};
use vigie_types::Timestamp;

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_does_not() {
    let a = run(&config(60, 20, 11)).0;
    let b = run(&config(60, 20, 11)).0;
    let c = run(&config(60, 20, 12)).0;
    assert!(a.len() > 10_000);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn max_rows_is_exact_and_a_prefix_of_the_full_output() {
    let (full, all, _) = run(&config(40, 30, 3));
    assert!(all.rows > 1000);
    for max in [1, 777, all.rows - 1, all.rows] {
        let mut limited = config(40, 30, 3);
        limited.max_rows = Some(max);
        let (bytes, summary, _) = run(&limited);
        assert_eq!(summary.rows, max);
        let (_, rows) = records(&bytes);
        assert_eq!(rows.len() as u64, max);
        assert!(
            full.starts_with(&bytes),
            "a limited run is a prefix of the full run"
        );
    }
    let mut generous = config(40, 30, 3);
    generous.max_rows = Some(all.rows + 1);
    assert_eq!(run(&generous).0, full);
}

#[test]
fn rows_are_in_time_order_with_a_dense_index_and_progress_is_reported() {
    let (bytes, summary, progress) = run(&config(50, 45, 5));
    let (_, rows) = records(&bytes);
    assert_eq!(rows.len() as u64, summary.rows);
    let mut previous = None;
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(&row[0], i.to_string().as_bytes());
        let t = Timestamp::parse(&row[1]).unwrap();
        assert!(previous.is_none_or(|p| p <= t), "row {i} goes back in time");
        previous = Some(t);
    }
    assert!(!progress.is_empty());
    assert!(progress.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(progress.last().copied(), Some(summary.rows));
}
