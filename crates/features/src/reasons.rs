//! Reason texts: a sentence an analyst (or a cardholder contesting a
//! decline, GDPR Art. 22) can read, for any feature's value. The reason code
//! is the feature's name, stable because the feature schema pins it.

use vigie_types::Category;

use crate::catalogue::Feature as F;
use crate::vector::FeatureVector;

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn money(v: f32) -> String {
    format!("{v:.2}")
}

fn times(v: f32) -> String {
    if v >= 10.0 {
        format!("{v:.0}x")
    } else {
        format!("{v:.1}x")
    }
}

fn category_name(v: &FeatureVector) -> &'static str {
    let code = v.get(F::CategoryCode) as usize;
    Category::ALL.get(code).map_or("?", |c| c.as_str())
}

/// A sentence describing `feature`'s value in `v` (which gives context, e.g.
/// the category for category-relative features).
pub fn describe(feature: F, v: &FeatureVector) -> String {
    let x = v.get(feature);
    let n = x.max(0.0) as u32;
    match feature {
        F::Amount | F::LogAmount => format!("amount {}", money(v.get(F::Amount))),
        F::CategoryCode => format!("category {}", category_name(v)),
        F::Hour => format!("made at {n:02}:00"),
        F::DayOfWeek => {
            let days = [
                "Monday",
                "Tuesday",
                "Wednesday",
                "Thursday",
                "Friday",
                "Saturday",
                "Sunday",
            ];
            format!("made on a {}", days[(n as usize).min(6)])
        }
        F::IsNight => {
            if n > 0 {
                "made at night (22:00-03:59)".into()
            } else {
                "made in the daytime".into()
            }
        }
        F::IsWeekend => {
            if n > 0 {
                "made at the weekend".into()
            } else {
                "made on a weekday".into()
            }
        }
        F::HomeMerchantKm => format!("merchant {x:.0} km from the cardholder's home"),
        F::AgeYears => format!("cardholder aged {n}"),
        F::GenderMale => "cardholder's recorded gender".into(),
        F::LogCityPop => format!("cardholder's city of about {:.0} people", x.exp_m1()),
        F::TxnCount10m => format!("{} transaction in 10 minutes", ordinal(n + 1)),
        F::TxnCount1h => format!("{} transaction in the last hour", ordinal(n + 1)),
        F::TxnCount24h => format!("{} transaction in 24 hours", ordinal(n + 1)),
        F::TxnCount7d => format!("{} transaction in 7 days", ordinal(n + 1)),
        F::TxnCount30d => format!("{} transaction in 30 days", ordinal(n + 1)),
        F::AmountSum10m => format!("{} spent in the previous 10 minutes", money(x)),
        F::AmountSum1h => format!("{} spent in the previous hour", money(x)),
        F::AmountSum24h => format!("{} spent in the previous 24 hours", money(x)),
        F::AmountSum7d => format!("{} spent in the previous 7 days", money(x)),
        F::AmountSum30d => format!("{} spent in the previous 30 days", money(x)),
        F::SecondsSincePrev => {
            if x >= crate::RETENTION_SECS as f32 {
                "first use of the card in 30 days".into()
            } else if x < 3_600.0 {
                format!(
                    "{:.0} minutes after the card's previous transaction",
                    x / 60.0
                )
            } else {
                format!(
                    "{:.1} hours after the card's previous transaction",
                    x / 3_600.0
                )
            }
        }
        F::AmountToCardMean => format!("amount is {} this card's usual amount", times(x)),
        F::AmountCardZscore => {
            format!("amount is {x:.1} standard deviations from this card's usual amount")
        }
        F::AmountToCategoryMean => format!(
            "amount is {} this card's usual {} amount",
            times(x),
            category_name(v)
        ),
        F::AmountCategoryZscore => format!(
            "amount is {x:.1} standard deviations from this card's usual {} amount",
            category_name(v)
        ),
        F::AmountToMax30d => format!("amount is {} the card's largest in 30 days", times(x)),
        F::DistinctMerchants24h => format!("{n} different merchants in 24 hours"),
        F::DistinctCategories24h => format!("{n} different categories in 24 hours"),
        F::NightCount24h => format!("{n} night-time transactions in 24 hours"),
        F::CategoryFirstUse => {
            if n > 0 {
                format!("first purchase in {} for this card", category_name(v))
            } else {
                format!("the card often buys in {}", category_name(v))
            }
        }
        F::PrevMerchantKm => format!("merchant {x:.0} km from the previous transaction's"),
        F::SpeedFromPrevKmh => {
            format!("implied travel at {x:.0} km/h since the previous transaction")
        }
        F::CardSeenDays => format!("card seen for {x:.0} days"),
        F::Count24hToDailyMean => format!("{} this card's usual daily pace", times(x)),
        F::CardNightShare => format!("{:.0}% of this card's past use was at night", x * 100.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_use_the_values() {
        let mut v = FeatureVector::default();
        v.0[F::AmountToCardMean.index()] = 14.2;
        v.0[F::TxnCount1h.index()] = 3.0;
        v.0[F::HomeMerchantKm.index()] = 612.4;
        v.0[F::CategoryCode.index()] = Category::ShoppingNet.index() as f32;
        v.0[F::CategoryFirstUse.index()] = 1.0;
        assert_eq!(
            describe(F::AmountToCardMean, &v),
            "amount is 14x this card's usual amount"
        );
        assert_eq!(
            describe(F::TxnCount1h, &v),
            "4th transaction in the last hour"
        );
        assert_eq!(
            describe(F::HomeMerchantKm, &v),
            "merchant 612 km from the cardholder's home"
        );
        assert_eq!(
            describe(F::CategoryFirstUse, &v),
            "first purchase in shopping_net for this card"
        );
        assert_eq!(ordinal(11), "11th");
        assert_eq!(ordinal(22), "22nd");
        for f in F::ALL {
            assert!(!describe(f, &v).is_empty());
        }
    }
}
