//! The 14 merchant categories of the Kaggle layout.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ValueError, ValueErrorKind, excerpt};

/// A merchant category. The set is closed: a value outside it is refused at
/// ingestion rather than carried along as free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Entertainment.
    Entertainment,
    /// Restaurants and food.
    FoodDining,
    /// Fuel and transport.
    GasTransport,
    /// Groceries bought online.
    GroceryNet,
    /// Groceries bought in store.
    GroceryPos,
    /// Health and fitness.
    HealthFitness,
    /// Home.
    Home,
    /// Children and pets.
    KidsPets,
    /// Miscellaneous, online.
    MiscNet,
    /// Miscellaneous, in store.
    MiscPos,
    /// Personal care.
    PersonalCare,
    /// Shopping, online.
    ShoppingNet,
    /// Shopping, in store.
    ShoppingPos,
    /// Travel.
    Travel,
}

impl Category {
    /// Every category, in a fixed order (the order of [`Category::index`]).
    pub const ALL: [Category; 14] = [
        Self::Entertainment,
        Self::FoodDining,
        Self::GasTransport,
        Self::GroceryNet,
        Self::GroceryPos,
        Self::HealthFitness,
        Self::Home,
        Self::KidsPets,
        Self::MiscNet,
        Self::MiscPos,
        Self::PersonalCare,
        Self::ShoppingNet,
        Self::ShoppingPos,
        Self::Travel,
    ];

    /// The name used in the data files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Entertainment => "entertainment",
            Self::FoodDining => "food_dining",
            Self::GasTransport => "gas_transport",
            Self::GroceryNet => "grocery_net",
            Self::GroceryPos => "grocery_pos",
            Self::HealthFitness => "health_fitness",
            Self::Home => "home",
            Self::KidsPets => "kids_pets",
            Self::MiscNet => "misc_net",
            Self::MiscPos => "misc_pos",
            Self::PersonalCare => "personal_care",
            Self::ShoppingNet => "shopping_net",
            Self::ShoppingPos => "shopping_pos",
            Self::Travel => "travel",
        }
    }

    /// A dense index, 0 ..= 13, stable across versions (alphabetical order).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Whether the category is a card-not-present (online) one.
    pub const fn is_online(self) -> bool {
        matches!(self, Self::GroceryNet | Self::MiscNet | Self::ShoppingNet)
    }

    /// Parses the exact data-file name.
    pub fn parse(raw: &[u8]) -> Result<Self, ValueError> {
        if raw.is_empty() {
            return Err(ValueError::new(ValueErrorKind::Missing, "empty category"));
        }
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().as_bytes() == raw)
            .ok_or_else(|| {
                ValueError::new(
                    ValueErrorKind::Unknown,
                    format!(
                        "unknown category '{}' (expected one of the 14 Kaggle categories)",
                        excerpt(raw)
                    ),
                )
            })
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        Self::parse(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_index_is_dense() {
        for (i, c) in Category::ALL.iter().enumerate() {
            assert_eq!(c.index(), i);
            assert_eq!(Category::parse(c.as_str().as_bytes()).unwrap(), *c);
        }
        assert_eq!(
            Category::parse(b"shopping").unwrap_err().kind,
            ValueErrorKind::Unknown
        );
    }
}
