//! Declarative rules beside the model: each has a stable code, an action
//! (`review` or `block`) and a condition over the transaction, its features
//! and the model's score, written in a small language (see [`expr`]).
//!
//! ```toml
//! [lists]
//! blocked_merchants = ["fraud_Kilback LLC"]
//!
//! [[rule]]
//! code = "large_night_new_category"
//! action = "review"
//! when = "amount > 2000 and is_night and category_first_use"
//! description = "A large night-time purchase in a category this card never used"
//! ```
//!
//! Rules are checked when loaded (every problem reported at once), so a bad
//! rules file is refused at start-up, never half-applied.

mod expr;
mod lexer;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use expr::{Condition, ListValues, RuleInput, parse_condition};
pub use lexer::CmpOp;

use crate::error::{EngineError, Result};

/// What a rule does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    /// Send the transaction to an analyst.
    Review,
    /// Decline it.
    Block,
}

/// One rule as written in the rules file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Stable reason code (snake_case), reported when the rule fires.
    pub code: String,
    /// What to do.
    pub action: RuleAction,
    /// The condition.
    pub when: String,
    /// A sentence for analysts.
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum ListConfig {
    Texts(Vec<String>),
    Numbers(Vec<f64>),
}

/// The rules file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    /// Named lists used with `in`.
    #[serde(default)]
    lists: BTreeMap<String, ListConfig>,
    /// The rules, in order.
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleConfig>,
}

/// The rules Vigie applies when no rules file is given.
pub const DEFAULT_RULES: &str = include_str!("default_rules.toml");

impl RulesConfig {
    /// Parses a rules file (TOML).
    pub fn from_toml(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| EngineError::RulesFile {
            problems: vec![e.to_string()],
        })
    }

    /// Checks every rule and builds the rule set, reporting every problem.
    pub fn build(&self) -> Result<RuleSet> {
        let lists: BTreeMap<String, ListValues> = self
            .lists
            .iter()
            .map(|(k, v)| {
                let values = match v {
                    ListConfig::Texts(t) => ListValues::Texts(t.clone()),
                    ListConfig::Numbers(n) => ListValues::Numbers(n.clone()),
                };
                (k.clone(), values)
            })
            .collect();
        let mut problems = Vec::new();
        let mut rules = Vec::new();
        let mut codes = std::collections::HashSet::new();
        for (i, r) in self.rules.iter().enumerate() {
            let snake = !r.code.is_empty()
                && r.code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !snake {
                problems.push(format!(
                    "rule {}: code '{}' is not snake_case",
                    i + 1,
                    r.code
                ));
            }
            if !codes.insert(r.code.clone()) {
                problems.push(format!("rule {}: code '{}' is used twice", i + 1, r.code));
            }
            match parse_condition(&r.when, &lists) {
                Ok(condition) => rules.push(Rule {
                    config: r.clone(),
                    condition,
                }),
                Err(e) => problems.push(format!("rule {} ({}): {e}", i + 1, r.code)),
            }
        }
        if problems.is_empty() {
            Ok(RuleSet { rules })
        } else {
            Err(EngineError::RulesFile { problems })
        }
    }
}

/// A checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// As written.
    pub config: RuleConfig,
    condition: Condition,
}

/// The rules in force.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// The built-in default rules.
    pub fn defaults() -> Result<Self> {
        RulesConfig::from_toml(DEFAULT_RULES)?.build()
    }

    /// Every rule.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rules that fire for `input`, in file order.
    pub fn fired<'a>(&'a self, input: &RuleInput<'_>) -> impl Iterator<Item = &'a Rule> {
        self.rules.iter().filter(move |r| r.condition.holds(input))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use vigie_features::{CardState, Feature, extract};
    use vigie_testkit::{build_transaction, test_card};
    use vigie_types::Category;

    use super::*;

    fn holds(condition: &str, amount_cents: i64, category: Category, score: f64) -> bool {
        let lists = BTreeMap::from([(
            "vip".to_string(),
            ListValues::Texts(vec![test_card(3).to_string()]),
        )]);
        let t = build_transaction(
            3,
            1_600_000_000 - 3_600 * 2,
            amount_cents,
            category,
            4,
            1,
            false,
        );
        let features = extract(&CardState::default(), &t.txn);
        let input = RuleInput {
            txn: &t.txn,
            features: &features,
            score,
        };
        parse_condition(condition, &lists).unwrap().holds(&input)
    }

    #[test]
    fn default_rules_load() {
        let rules = RuleSet::defaults().unwrap();
        assert!(rules.rules().len() >= 4);
        assert!(
            rules
                .rules()
                .iter()
                .any(|r| r.config.action == RuleAction::Block)
        );
    }

    #[test]
    fn conditions_evaluate_as_written() {
        assert!(holds("amount > 2000", 250_000, Category::Travel, 0.1));
        assert!(!holds("amount > 2000", 150_000, Category::Travel, 0.1));
        assert!(holds(
            "amount >= 1500 and category == 'travel'",
            150_000,
            Category::Travel,
            0.1
        ));
        assert!(!holds(
            "category != \"travel\"",
            150_000,
            Category::Travel,
            0.1
        ));
        assert!(holds(
            "category in ['home', 'travel'] or score > 0.9",
            100,
            Category::Travel,
            0.1
        ));
        assert!(holds(
            "not (score < 0.5) and category_first_use",
            100,
            Category::Home,
            0.7
        ));
        assert!(holds(
            "card in vip and txn_count_1h == 0",
            100,
            Category::Home,
            0.0
        ));
        assert!(holds(
            "merchant == 'fraud_Merchant 4'",
            100,
            Category::Home,
            0.0
        ));
        assert!(holds("hour in [9, 10, 11]", 100, Category::Home, 0.0));
        assert!(!holds("hour in [20, 21, 22]", 100, Category::Home, 0.0));
        assert!(!holds(
            "false or is_night and amount > 1",
            100,
            Category::Home,
            0.0
        ));
        assert!(holds("true", 100, Category::Home, 0.0));
        assert_eq!(Feature::IsNight.name(), "is_night");
    }

    #[test]
    fn mistakes_are_reported_with_their_position() {
        let lists = BTreeMap::new();
        for (bad, needle) in [
            ("amount >", "expected a value"),
            ("amout > 3", "unknown name 'amout'"),
            ("category > 'travel'", "only be compared with == or !="),
            ("category == 'holidays'", "not a category"),
            ("card in ['4263982640269299']", "never card numbers"),
            ("merchant", "a text is not a condition"),
            ("amount in ['a']", "cannot be compared"),
            ("(amount > 1", "expected ')'"),
            ("amount > 1 extra", "unexpected text"),
            ("x in nolist", "no list named"),
            ("amount = 3", "expected == or !="),
            ("'open", "unterminated"),
        ] {
            let err = parse_condition(bad, &lists).unwrap_err().to_string();
            assert!(err.contains(needle), "{bad}: {err}");
        }
    }

    #[test]
    fn a_rules_file_reports_every_problem_at_once() {
        let text = r#"
            [[rule]]
            code = "Bad Code"
            action = "review"
            when = "amount > 1"
            [[rule]]
            code = "dup"
            action = "block"
            when = "nonsense > 1"
            [[rule]]
            code = "dup"
            action = "review"
            when = "amount > 1"
        "#;
        let err = RulesConfig::from_toml(text).unwrap().build().unwrap_err();
        let EngineError::RulesFile { problems } = err else {
            panic!("{err}")
        };
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(RulesConfig::from_toml("[[rule]]\ncode = 1").is_err());
        assert!(
            RulesConfig::from_toml("[[rule]]\ncode='a'\naction='review'\nwhen='true'\nextra=1")
                .is_err()
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics(text in "[a-z_0-9 ()<>=!'\\[\\],.\"-]{0,60}") {
            let _ = parse_condition(&text, &BTreeMap::new());
        }
    }
}
