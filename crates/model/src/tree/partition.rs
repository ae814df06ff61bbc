//! The rows of each leaf of the tree being grown, as ranges of one index
//! array (LightGBM's "data partition").
//!
//! Invariant: within a leaf, row indices stay ascending (splits are stable),
//! so histogram building reads bin codes in memory order.

use rayon::prelude::*;

use super::split::BinDecision;

/// Row indices grouped by leaf.
#[derive(Debug, Default)]
pub(crate) struct RowPartition {
    indices: Vec<u32>,
    /// `(start, len)` of each leaf's rows in `indices`.
    ranges: Vec<(usize, usize)>,
    scratch: Vec<u32>,
}

impl RowPartition {
    /// Starts a tree: every row of `rows` (ascending) in leaf 0.
    pub(crate) fn reset(&mut self, rows: impl Iterator<Item = u32>) {
        self.indices.clear();
        self.indices.extend(rows);
        self.ranges.clear();
        self.ranges.push((0, self.indices.len()));
    }

    /// The rows of `leaf`.
    pub(crate) fn rows(&self, leaf: usize) -> &[u32] {
        let (start, len) = self.ranges[leaf];
        &self.indices[start..start + len]
    }

    /// Number of leaves.
    pub(crate) fn n_leaves(&self) -> usize {
        self.ranges.len()
    }

    /// Splits `leaf` by `decision` on `column`: its left rows stay in `leaf`,
    /// its right rows form a new leaf, whose number is returned. Large
    /// leaves are cut into fixed blocks partitioned in parallel and joined
    /// in block order: the same result as a sequential stable partition.
    pub(crate) fn split(&mut self, leaf: usize, column: &[u8], decision: &BinDecision) -> usize {
        let (start, len) = self.ranges[leaf];
        let rows = &mut self.indices[start..start + len];
        let left_len = if len < PARALLEL_ROWS {
            partition_in_place(rows, column, decision, &mut self.scratch)
        } else {
            let parts: Vec<(Vec<u32>, Vec<u32>)> = rows
                .par_chunks(PARALLEL_ROWS / 2)
                .map(|block| {
                    let mut left = Vec::with_capacity(block.len());
                    let mut right = Vec::with_capacity(block.len());
                    for &row in block {
                        if decision.goes_left(column[row as usize]) {
                            left.push(row);
                        } else {
                            right.push(row);
                        }
                    }
                    (left, right)
                })
                .collect();
            let mut write = 0;
            for part in parts.iter().map(|p| &p.0).chain(parts.iter().map(|p| &p.1)) {
                rows[write..write + part.len()].copy_from_slice(part);
                write += part.len();
            }
            parts.iter().map(|p| p.0.len()).sum()
        };
        self.ranges[leaf] = (start, left_len);
        self.ranges.push((start + left_len, len - left_len));
        self.ranges.len() - 1
    }
}

/// Leaves with at least this many rows are partitioned in parallel.
const PARALLEL_ROWS: usize = 1 << 17;

/// Stable partition of `rows`; returns how many went left.
fn partition_in_place(
    rows: &mut [u32],
    column: &[u8],
    decision: &BinDecision,
    scratch: &mut Vec<u32>,
) -> usize {
    scratch.clear();
    let mut write = 0;
    for read in 0..rows.len() {
        let row = rows[read];
        if decision.goes_left(column[row as usize]) {
            rows[write] = row;
            write += 1;
        } else {
            scratch.push(row);
        }
    }
    rows[write..].copy_from_slice(scratch);
    write
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_stable_and_keeps_every_row() {
        let column = [5u8, 1, 7, 2, 9, 0];
        let mut p = RowPartition::default();
        p.reset(0..6);
        let right = p.split(0, &column, &BinDecision::UpTo(4));
        assert_eq!(p.rows(0), &[1, 3, 5]);
        assert_eq!(p.rows(right), &[0, 2, 4]);
        let again = p.split(right, &column, &BinDecision::UpTo(6));
        assert_eq!(
            (p.rows(right), p.rows(again)),
            (&[0u32][..], &[2u32, 4][..])
        );
        assert_eq!(p.n_leaves(), 3);
    }

    #[test]
    fn parallel_split_of_a_large_leaf_equals_the_sequential_one() {
        let n = 3 * PARALLEL_ROWS + 77;
        let column: Vec<u8> = (0..n).map(|r| ((r * 7919) % 251) as u8).collect();
        let mut p = RowPartition::default();
        p.reset((0..n as u32).filter(|r| r % 5 != 0));
        let expected_left: Vec<u32> = p
            .rows(0)
            .iter()
            .copied()
            .filter(|&r| column[r as usize] <= 100)
            .collect();
        let expected_right: Vec<u32> = p
            .rows(0)
            .iter()
            .copied()
            .filter(|&r| column[r as usize] > 100)
            .collect();
        let right = p.split(0, &column, &BinDecision::UpTo(100));
        assert_eq!(p.rows(0), expected_left.as_slice());
        assert_eq!(p.rows(right), expected_right.as_slice());
    }
}
