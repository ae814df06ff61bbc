//! Ground truth: whether a transaction was fraud, and which kind.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ValueError, ValueErrorKind, excerpt};

/// A confirmed outcome for a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// A genuine transaction (`is_fraud = 0`).
    Legit,
    /// A fraudulent transaction (`is_fraud = 1`).
    Fraud,
}

impl Label {
    /// Parses `0` or `1`.
    pub fn parse(raw: &[u8]) -> Result<Self, ValueError> {
        match raw {
            b"0" => Ok(Self::Legit),
            b"1" => Ok(Self::Fraud),
            b"" => Err(ValueError::new(ValueErrorKind::Missing, "empty label")),
            _ => Err(ValueError::new(
                ValueErrorKind::Format,
                format!("expected is_fraud 0 or 1, found '{}'", excerpt(raw)),
            )),
        }
    }

    /// Whether this is fraud.
    pub const fn is_fraud(self) -> bool {
        matches!(self, Self::Fraud)
    }

    /// `0` or `1`, as in the data files.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }
}

/// The kind of attack behind a fraudulent transaction, when the data says so
/// (Vigie's generator writes it in an optional `fraud_scenario` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FraudScenario {
    /// A stolen card used in a burst of unusual amounts at unusual hours for a
    /// day or two: the pattern of the public generator.
    ClassicEpisode,
    /// Many tiny amounts across many merchants, checking that a card works.
    CardTesting,
    /// Account takeover: the card suddenly used far from its usual geography.
    AccountTakeover,
    /// A compromised merchant that charges many different cards.
    CompromisedMerchant,
}

impl FraudScenario {
    /// Every scenario.
    pub const ALL: [FraudScenario; 4] = [
        Self::ClassicEpisode,
        Self::CardTesting,
        Self::AccountTakeover,
        Self::CompromisedMerchant,
    ];

    /// The name used in data files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ClassicEpisode => "classic_episode",
            Self::CardTesting => "card_testing",
            Self::AccountTakeover => "account_takeover",
            Self::CompromisedMerchant => "compromised_merchant",
        }
    }

    /// Parses a data-file name.
    pub fn parse(raw: &[u8]) -> Result<Self, ValueError> {
        Self::ALL
            .iter()
            .copied()
            .find(|s| s.as_str().as_bytes() == raw)
            .ok_or_else(|| {
                ValueError::new(
                    ValueErrorKind::Unknown,
                    format!("unknown fraud scenario '{}'", excerpt(raw)),
                )
            })
    }
}

impl fmt::Display for FraudScenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_strict() {
        assert_eq!(Label::parse(b"1").unwrap(), Label::Fraud);
        assert_eq!(Label::parse(b"0").unwrap().as_u8(), 0);
        assert!(Label::parse(b"1.0").is_err());
        assert!(Label::parse(b"True").is_err());
        for s in FraudScenario::ALL {
            assert_eq!(FraudScenario::parse(s.as_str().as_bytes()).unwrap(), s);
        }
    }
}
