//! The feature catalogue: every feature Vigie computes, its name, kind and
//! definition. One closed enum, one `match` per property: adding a feature
//! touches this file, `extract.rs` and docs/features.md, and bumps
//! [`FEATURE_VERSION`].

use std::sync::OnceLock;

use vigie_types::{Category, FeatureSchema};

/// Version of the definitions below. Bump it whenever a definition, a name
/// or the order changes: the schema hash changes with it, so models trained
/// on the old layout are refused instead of silently mis-served.
pub const FEATURE_VERSION: u32 = 1;

/// Number of features in a vector.
pub const FEATURE_COUNT: usize = Feature::ALL.len();

/// How a feature's value is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An ordered number.
    Numeric,
    /// A code in `0..levels`, without order.
    Categorical {
        /// Number of levels.
        levels: u16,
    },
}

/// Where a feature's information comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The transaction alone.
    Transaction,
    /// Who the cardholder is. These identify a card: with anything that
    /// tracks time, a flexible model can memorise when each card's fraud
    /// happened (see docs/features.md, "The memorisation trap").
    Cardholder,
    /// The card's own history strictly before the transaction.
    History,
}

macro_rules! catalogue {
    ($($variant:ident = $name:literal, $group:ident, $definition:literal;)+) => {
        /// One feature of the catalogue (see docs/features.md).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Feature {
            $(
                #[doc = $definition]
                $variant,
            )+
        }

        impl Feature {
            /// Every feature, in vector order.
            pub const ALL: [Feature; [$(Feature::$variant),+].len()] = [$(Feature::$variant),+];

            /// The column name.
            pub const fn name(self) -> &'static str {
                match self { $(Self::$variant => $name,)+ }
            }

            /// Where the information comes from.
            pub const fn group(self) -> Group {
                match self { $(Self::$variant => Group::$group,)+ }
            }

            /// The definition, as documented.
            pub const fn definition(self) -> &'static str {
                match self { $(Self::$variant => $definition,)+ }
            }
        }
    };
}

catalogue! {
    Amount = "amount", Transaction,
        "Amount charged, in currency units.";
    LogAmount = "log_amount", Transaction,
        "ln(1 + amount).";
    CategoryCode = "category", Transaction,
        "Merchant category, as a code 0..13 (alphabetical order of the 14 categories).";
    Hour = "hour", Transaction,
        "Hour of the day of the event time, 0..23.";
    DayOfWeek = "day_of_week", Transaction,
        "Day of the week, 0 = Monday .. 6 = Sunday.";
    IsNight = "is_night", Transaction,
        "1 when the hour is 22..23 or 0..3, else 0.";
    IsWeekend = "is_weekend", Transaction,
        "1 on Saturday and Sunday, else 0.";
    HomeMerchantKm = "home_merchant_km", Transaction,
        "Great-circle distance from the cardholder's home to the merchant, km.";
    AgeYears = "age_years", Cardholder,
        "Cardholder's age in whole years on the day of the transaction.";
    GenderMale = "gender_male", Cardholder,
        "1 when the cardholder's recorded gender is M, else 0.";
    LogCityPop = "log_city_pop", Cardholder,
        "ln(1 + population of the cardholder's city).";
    TxnCount10m = "txn_count_10m", History,
        "Card transactions in the 10 minutes before (window (t - 600 s, t]).";
    TxnCount1h = "txn_count_1h", History,
        "Card transactions in the hour before.";
    TxnCount24h = "txn_count_24h", History,
        "Card transactions in the 24 hours before.";
    TxnCount7d = "txn_count_7d", History,
        "Card transactions in the 7 days before.";
    TxnCount30d = "txn_count_30d", History,
        "Card transactions in the 30 days before.";
    AmountSum10m = "amount_sum_10m", History,
        "Sum of the card's amounts in the 10 minutes before.";
    AmountSum1h = "amount_sum_1h", History,
        "Sum of the card's amounts in the hour before.";
    AmountSum24h = "amount_sum_24h", History,
        "Sum of the card's amounts in the 24 hours before.";
    AmountSum7d = "amount_sum_7d", History,
        "Sum of the card's amounts in the 7 days before.";
    AmountSum30d = "amount_sum_30d", History,
        "Sum of the card's amounts in the 30 days before.";
    SecondsSincePrev = "seconds_since_prev", History,
        "Seconds since the card's previous transaction, capped at 30 days (the cap when there is none within 30 days).";
    AmountToCardMean = "amount_to_card_mean", History,
        "Amount divided by the card's mean amount over its whole history (1 with no history).";
    AmountCardZscore = "amount_card_zscore", History,
        "(amount - card mean) / max(card standard deviation, 1) over its whole history (0 with fewer than 2 transactions).";
    AmountToCategoryMean = "amount_to_category_mean", History,
        "Amount divided by the card's mean amount in this category (1 with no history in it).";
    AmountCategoryZscore = "amount_category_zscore", History,
        "(amount - card's category mean) / max(its standard deviation, 1) (0 with fewer than 2 in the category).";
    AmountToMax30d = "amount_to_max_30d", History,
        "Amount divided by the card's largest amount in the 30 days before (1 with none).";
    DistinctMerchants24h = "distinct_merchants_24h", History,
        "Distinct merchants the card used in the 24 hours before.";
    DistinctCategories24h = "distinct_categories_24h", History,
        "Distinct categories the card used in the 24 hours before.";
    NightCount24h = "night_count_24h", History,
        "Card transactions at night (22:00-03:59) in the 24 hours before.";
    CategoryFirstUse = "category_first_use", History,
        "1 when the card has never been used in this category before, else 0.";
    PrevMerchantKm = "prev_merchant_km", History,
        "Distance from the previous transaction's merchant (within 30 days), km (0 with none).";
    SpeedFromPrevKmh = "speed_from_prev_kmh", History,
        "prev_merchant_km divided by the time since that transaction (at least one minute), km/h.";
    CardSeenDays = "card_seen_days", History,
        "Days since the card's first transaction seen by Vigie (0 for the first).";
    Count24hToDailyMean = "count_24h_to_daily_mean", History,
        "(txn_count_24h + 1) / (card's mean transactions per day + 1), the mean over its whole history.";
    CardNightShare = "card_night_share", History,
        "Share of the card's past transactions made at night (0 with no history).";
}

impl Feature {
    /// Position in the vector.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// How the value is to be read.
    pub const fn kind(self) -> Kind {
        match self {
            Self::CategoryCode => Kind::Categorical {
                levels: Category::ALL.len() as u16,
            },
            _ => Kind::Numeric,
        }
    }

    /// Looks a feature up by its column name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.name() == name)
    }
}

/// The schema of the vectors this crate produces (computed once).
pub fn feature_schema() -> &'static FeatureSchema {
    static SCHEMA: OnceLock<FeatureSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        FeatureSchema::new(
            FEATURE_VERSION,
            Feature::ALL.iter().map(|f| f.name().to_string()).collect(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case_and_indices_match() {
        let mut seen = std::collections::HashSet::new();
        for (i, f) in Feature::ALL.iter().enumerate() {
            assert_eq!(f.index(), i);
            assert!(seen.insert(f.name()), "duplicate {}", f.name());
            assert!(
                f.name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            );
            assert_eq!(Feature::from_name(f.name()), Some(*f));
            assert!(f.definition().ends_with('.'));
        }
    }

    /// Guards the schema: changing a name or the order without bumping
    /// FEATURE_VERSION must be a conscious act (update this hash too).
    #[test]
    fn schema_hash_is_pinned_for_this_version() {
        let schema = feature_schema();
        assert_eq!(schema.version, FEATURE_VERSION);
        assert_eq!(schema.names.len(), FEATURE_COUNT);
        assert_eq!(
            schema.hash, PINNED_HASH,
            "feature layout changed: bump FEATURE_VERSION"
        );
    }

    const PINNED_HASH: &str = "df333e221d00270dd294814da66179bb477e13631a2ff621e80dc99a820f0700";
}
