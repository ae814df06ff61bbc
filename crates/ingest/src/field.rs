//! The fields Vigie reads from a transaction file, and how each is named.

use std::fmt;

/// A field Vigie reads from every record. Variants are in Kaggle column
/// order and `Field::ALL[f as usize] == f` (checked by a test).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// `trans_date_trans_time`.
    EventTime,
    /// `cc_num`.
    CardNumber,
    /// `merchant`.
    Merchant,
    /// `category`.
    Category,
    /// `amt`.
    Amount,
    /// `gender`.
    Gender,
    /// `lat`.
    HomeLat,
    /// `long`.
    HomeLong,
    /// `city_pop`.
    CityPop,
    /// `dob`.
    BirthDate,
    /// `trans_num`.
    TransNum,
    /// `unix_time` (optional; checked when present, not kept).
    UnixTime,
    /// `merch_lat`.
    MerchLat,
    /// `merch_long`.
    MerchLong,
    /// `is_fraud` (optional: a file without it is unlabelled).
    Label,
    /// `fraud_scenario` (optional, written by Vigie's generator).
    Scenario,
}

impl Field {
    /// Every field, in Kaggle column order.
    pub const ALL: [Field; 16] = [
        Self::EventTime,
        Self::CardNumber,
        Self::Merchant,
        Self::Category,
        Self::Amount,
        Self::Gender,
        Self::HomeLat,
        Self::HomeLong,
        Self::CityPop,
        Self::BirthDate,
        Self::TransNum,
        Self::UnixTime,
        Self::MerchLat,
        Self::MerchLong,
        Self::Label,
        Self::Scenario,
    ];

    /// The column name in the Kaggle layout (also the key used in mappings).
    pub const fn column(self) -> &'static str {
        match self {
            Self::EventTime => "trans_date_trans_time",
            Self::CardNumber => "cc_num",
            Self::Merchant => "merchant",
            Self::Category => "category",
            Self::Amount => "amt",
            Self::Gender => "gender",
            Self::BirthDate => "dob",
            Self::CityPop => "city_pop",
            Self::HomeLat => "lat",
            Self::HomeLong => "long",
            Self::MerchLat => "merch_lat",
            Self::MerchLong => "merch_long",
            Self::TransNum => "trans_num",
            Self::UnixTime => "unix_time",
            Self::Label => "is_fraud",
            Self::Scenario => "fraud_scenario",
        }
    }

    /// The prefix of reason codes about this field (`amount_precision`...).
    pub const fn code(self) -> &'static str {
        match self {
            Self::EventTime => "event_time",
            Self::CardNumber => "card_number",
            Self::Merchant => "merchant",
            Self::Category => "category",
            Self::Amount => "amount",
            Self::Gender => "gender",
            Self::BirthDate => "birth_date",
            Self::CityPop => "city_pop",
            Self::HomeLat => "home_lat",
            Self::HomeLong => "home_long",
            Self::MerchLat => "merch_lat",
            Self::MerchLong => "merch_long",
            Self::TransNum => "trans_num",
            Self::UnixTime => "unix_time",
            Self::Label => "label",
            Self::Scenario => "fraud_scenario",
        }
    }

    /// Whether every record must have it.
    pub const fn required(self) -> bool {
        !matches!(self, Self::UnixTime | Self::Label | Self::Scenario)
    }

    /// Looks a field up by its Kaggle column name.
    pub fn from_column(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.column() == name)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.column())
    }
}

/// Kaggle columns that are recognised but deliberately not kept: the pandas
/// index and the personal fields no feature needs (data minimisation).
pub const DROPPED_COLUMNS: [&str; 9] = [
    "",
    "unnamed: 0",
    "first",
    "last",
    "street",
    "city",
    "state",
    "zip",
    "job",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_discriminant_order() {
        for (i, f) in Field::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
            assert_eq!(Field::from_column(f.column()), Some(*f));
        }
    }
}
