//! From a feature file to model-ready data: the chosen features as a
//! [`Dataset`], with what the metrics need beside it (card, day, amount,
//! scenario), and the time-based split.

use vigie_features::{Feature, FeatureTable, Group, Kind};
use vigie_model::{Dataset, FeatureKind};
use vigie_types::FraudScenario;

use crate::error::{Result, TrainError};

/// Which features the models read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureSet {
    /// Behaviour only: the transaction and the card's own history, without
    /// who the cardholder is or how long the card has been seen. The
    /// default: these describe behaviour relative to the card's habits and
    /// cannot identify a card (see docs/features.md, the memorisation trap).
    Behaviour,
    /// Every feature of the catalogue.
    All,
    /// An explicit list.
    Named(Vec<Feature>),
}

impl FeatureSet {
    /// Parses `behaviour`, `all` or a comma-separated list of feature names.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "behaviour" | "behavior" => Ok(Self::Behaviour),
            "all" => Ok(Self::All),
            list => list
                .split(',')
                .map(|name| {
                    Feature::from_name(name.trim()).ok_or_else(|| TrainError::Config {
                        problem: format!("unknown feature '{name}' (see docs/features.md)"),
                    })
                })
                .collect::<Result<Vec<_>>>()
                .map(Self::Named),
        }
    }

    /// The features, in catalogue order for the named sets.
    pub fn features(&self) -> Vec<Feature> {
        match self {
            Self::All => Feature::ALL.to_vec(),
            Self::Behaviour => Feature::ALL
                .iter()
                .copied()
                .filter(|f| f.group() != Group::Cardholder && *f != Feature::CardSeenDays)
                .collect(),
            Self::Named(list) => list.clone(),
        }
    }

    /// A short name for reports.
    pub fn label(&self) -> String {
        match self {
            Self::Behaviour => "behaviour".into(),
            Self::All => "all".into(),
            Self::Named(list) => format!("{} named features", list.len()),
        }
    }
}

/// Model-ready rows with their context, in time order.
#[derive(Debug, Clone)]
pub struct LabeledSet {
    /// Features and labels.
    pub dataset: Dataset,
    /// A stable id per card (first 8 bytes of the token digest).
    pub cards: Vec<u64>,
    /// Day of each transaction (days since 1970-01-01).
    pub days: Vec<i32>,
    /// Event time, seconds.
    pub times: Vec<i64>,
    /// Amount in currency units.
    pub amounts: Vec<f64>,
    /// Fraud scenario, when the data names it.
    pub scenarios: Vec<Option<FraudScenario>>,
    /// Category index of each transaction (for error analysis).
    pub categories: Vec<u8>,
    /// Hour of day of each transaction (for error analysis).
    pub hours: Vec<u8>,
}

impl LabeledSet {
    /// Takes `features` from `table`; every row must be labelled.
    pub fn from_table(table: &FeatureTable, features: &[Feature]) -> Result<Self> {
        let mut labels = Vec::with_capacity(table.len());
        for (i, label) in table.label.iter().enumerate() {
            match label {
                Some(l) => labels.push(l.as_u8()),
                None => {
                    return Err(TrainError::Config {
                        problem: format!(
                            "row {i} (trans_num {}) has no label: training and evaluation need labelled data",
                            table.trans_num[i]
                        ),
                    });
                }
            }
        }
        let names = features.iter().map(|f| f.name().to_string()).collect();
        let kinds = features
            .iter()
            .map(|f| match f.kind() {
                Kind::Numeric => FeatureKind::Numeric,
                Kind::Categorical { levels } => FeatureKind::Categorical { levels },
            })
            .collect();
        let columns = features
            .iter()
            .map(|f| table.features[f.index()].clone())
            .collect();
        let dataset = Dataset::new(names, kinds, columns, labels)?;
        Ok(Self {
            dataset,
            cards: table
                .card
                .iter()
                .map(|c| {
                    let d = c.digest();
                    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
                })
                .collect(),
            days: table
                .event_time
                .iter()
                .map(|t| t.date().days_since_epoch())
                .collect(),
            times: table.event_time.iter().map(|t| t.seconds()).collect(),
            amounts: table
                .amount_cents
                .iter()
                .map(|&c| c as f64 / 100.0)
                .collect(),
            scenarios: table.scenario.clone(),
            categories: table.features[Feature::CategoryCode.index()]
                .iter()
                .map(|&c| c as u8)
                .collect(),
            hours: table.event_time.iter().map(|t| t.hour() as u8).collect(),
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// The rows in `range`.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Self {
        Self {
            dataset: self.dataset.slice(range.clone()),
            cards: self.cards[range.clone()].to_vec(),
            days: self.days[range.clone()].to_vec(),
            times: self.times[range.clone()].to_vec(),
            amounts: self.amounts[range.clone()].to_vec(),
            scenarios: self.scenarios[range.clone()].to_vec(),
            categories: self.categories[range.clone()].to_vec(),
            hours: self.hours[range].to_vec(),
        }
    }

    /// Splits off the last `fraction` of the rows (by time, never at random)
    /// as the validation period; the cut never falls inside a second.
    pub fn split_validation(&self, fraction: f64) -> Result<(Self, Self)> {
        let n = self.len();
        let mut cut = n - ((n as f64 * fraction.clamp(0.0, 0.9)) as usize).min(n);
        while cut > 0 && cut < n && self.times[cut] == self.times[cut - 1] {
            cut += 1;
        }
        let (fit, valid) = (self.slice(0..cut), self.slice(cut..n));
        for (part, name) in [(&fit, "fitting"), (&valid, "validation")] {
            let positives = part.dataset.positives();
            if positives == 0 || positives == part.len() {
                return Err(TrainError::Config {
                    problem: format!(
                        "the {name} period ({} rows) needs both frauds and legitimate transactions; use more data or another --valid-fraction",
                        part.len()
                    ),
                });
            }
        }
        Ok((fit, valid))
    }
}
