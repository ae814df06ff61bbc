//! The training and evaluation matrix: named `f32` columns and 0/1 labels.

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// How a feature's values are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FeatureKind {
    /// An ordered number.
    Numeric,
    /// A code in `0..levels` with no order (e.g. the merchant category).
    Categorical {
        /// Number of levels.
        levels: u16,
    },
}

/// A column-major matrix of features with one 0/1 label per row, in time
/// order. Values are finite (the feature engine never produces NaN).
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    names: Vec<String>,
    kinds: Vec<FeatureKind>,
    columns: Vec<Vec<f32>>,
    labels: Vec<u8>,
}

impl Dataset {
    /// Builds a dataset, checking shapes, labels, categorical codes and that
    /// every value is finite.
    pub fn new(
        names: Vec<String>,
        kinds: Vec<FeatureKind>,
        columns: Vec<Vec<f32>>,
        labels: Vec<u8>,
    ) -> Result<Self> {
        let invalid = |reason: String| Err(ModelError::InvalidData { reason });
        if names.len() != columns.len() || kinds.len() != columns.len() {
            return invalid(format!(
                "{} names, {} kinds, {} columns",
                names.len(),
                kinds.len(),
                columns.len()
            ));
        }
        for (f, column) in columns.iter().enumerate() {
            if column.len() != labels.len() {
                return invalid(format!(
                    "column {} has {} values for {} labels",
                    names[f],
                    column.len(),
                    labels.len()
                ));
            }
            if let Some(row) = column.iter().position(|v| !v.is_finite()) {
                return invalid(format!("column {} row {row} is not finite", names[f]));
            }
            if let FeatureKind::Categorical { levels } = kinds[f] {
                let bad = |v: &f32| v.fract() != 0.0 || *v < 0.0 || *v >= f32::from(levels);
                if let Some(row) = column.iter().position(bad) {
                    return invalid(format!(
                        "column {} row {row}: {} is not a code below {levels}",
                        names[f], column[row]
                    ));
                }
            }
        }
        if let Some(row) = labels.iter().position(|&l| l > 1) {
            return invalid(format!("label at row {row} is {}", labels[row]));
        }
        Ok(Self {
            names,
            kinds,
            columns,
            labels,
        })
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.labels.len()
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.columns.len()
    }

    /// Feature names, in column order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Feature kinds, in column order.
    pub fn kinds(&self) -> &[FeatureKind] {
        &self.kinds
    }

    /// One feature's values.
    pub fn column(&self, feature: usize) -> &[f32] {
        &self.columns[feature]
    }

    /// All labels (0 legitimate, 1 fraud).
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// Number of rows labelled fraud.
    pub fn positives(&self) -> usize {
        self.labels.iter().filter(|&&l| l == 1).count()
    }

    /// Copies row `row` into `out` (resized to the number of features).
    pub fn row_into(&self, row: usize, out: &mut Vec<f32>) {
        out.clear();
        out.extend(self.columns.iter().map(|c| c[row]));
    }

    /// The rows in `range`, as a new dataset (e.g. the validation period at
    /// the end of the training data).
    pub fn slice(&self, range: std::ops::Range<usize>) -> Self {
        Self {
            names: self.names.clone(),
            kinds: self.kinds.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| c[range.clone()].to_vec())
                .collect(),
            labels: self.labels[range].to_vec(),
        }
    }

    /// The same rows with only the features at `features`, in that order.
    pub fn select_features(&self, features: &[usize]) -> Self {
        Self {
            names: features.iter().map(|&f| self.names[f].clone()).collect(),
            kinds: features.iter().map(|&f| self.kinds[f]).collect(),
            columns: features.iter().map(|&f| self.columns[f].clone()).collect(),
            labels: self.labels.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("f{i}")).collect()
    }

    #[test]
    fn rejects_ragged_columns_bad_labels_and_codes() {
        let numeric = vec![FeatureKind::Numeric; 2];
        assert!(Dataset::new(names(2), numeric.clone(), vec![vec![1.0], vec![]], vec![0]).is_err());
        assert!(
            Dataset::new(
                names(2),
                numeric.clone(),
                vec![vec![1.0], vec![2.0]],
                vec![2]
            )
            .is_err()
        );
        assert!(Dataset::new(names(2), numeric, vec![vec![f32::NAN], vec![2.0]], vec![0]).is_err());
        let cat = vec![FeatureKind::Categorical { levels: 3 }];
        assert!(Dataset::new(names(1), cat.clone(), vec![vec![3.0]], vec![0]).is_err());
        assert!(Dataset::new(names(1), cat, vec![vec![2.0]], vec![1]).is_ok());
    }

    #[test]
    fn slices_and_selects() {
        let d = Dataset::new(
            names(2),
            vec![FeatureKind::Numeric; 2],
            vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]],
            vec![0, 1, 0],
        )
        .unwrap();
        let s = d.slice(1..3);
        assert_eq!(s.labels(), &[1, 0]);
        assert_eq!(s.column(1), &[5.0, 6.0]);
        let mut row = Vec::new();
        d.select_features(&[1, 0]).row_into(2, &mut row);
        assert_eq!(row, vec![6.0, 3.0]);
        assert_eq!(d.positives(), 1);
    }
}
