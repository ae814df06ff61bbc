//! The rows of each leaf of the tree being grown, as ranges of one index
//! array (LightGBM's "data partition").
//!
//! Invariant: within a leaf, row indices stay ascending (splits are stable),
//! so histogram building reads bin codes in memory order.

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
    /// its right rows form a new leaf, whose number is returned.
    pub(crate) fn split(&mut self, leaf: usize, column: &[u8], decision: &BinDecision) -> usize {
        let (start, len) = self.ranges[leaf];
        self.scratch.clear();
        let mut write = start;
        for read in start..start + len {
            let row = self.indices[read];
            if decision.goes_left(column[row as usize]) {
                self.indices[write] = row;
                write += 1;
            } else {
                self.scratch.push(row);
            }
        }
        self.indices[write..start + len].copy_from_slice(&self.scratch);
        let left_len = write - start;
        self.ranges[leaf] = (start, left_len);
        self.ranges.push((write, len - left_len));
        self.ranges.len() - 1
    }
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
}
