//! The rule language: parsing, type checking and evaluation.
//!
//! ```text
//! expr    := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := "not" unary | compare
//! compare := operand (("==" | "!=" | "<" | "<=" | ">" | ">=") operand | "in" list)?
//! operand := number | "text" | true | false | name | "(" expr ")"
//! list    := "[" literal ("," literal)* "]" | list-name
//! ```
//!
//! Names are the features of the catalogue (numbers; a bare numeric name is
//! true when non-zero), `score` (the model's fraud probability), and the
//! texts `category`, `merchant` and `card` (the card token). Lists are named
//! in the rules file. Everything is checked when the rules are loaded:
//! unknown names, comparing a text with a number, a malformed card token.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use vigie_features::{Feature, FeatureVector};
use vigie_types::{CardToken, Category, Transaction};

use super::lexer::{CmpOp, Tok, Token, tokenize};
use crate::error::{EngineError, Result};

/// What a rule condition is evaluated against.
#[derive(Debug, Clone, Copy)]
pub struct RuleInput<'a> {
    /// The transaction.
    pub txn: &'a Transaction,
    /// Its features.
    pub features: &'a FeatureVector,
    /// The champion model's fraud probability.
    pub score: f64,
}

/// A named list from the rules file.
#[derive(Debug, Clone, PartialEq)]
pub enum ListValues {
    /// Texts (merchants, categories, card tokens).
    Texts(Vec<String>),
    /// Numbers.
    Numbers(Vec<f64>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    Const(f64),
    Feature(usize),
    Score,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextVar {
    Category,
    Merchant,
}

/// A checked condition, ready to evaluate.
#[derive(Debug, Clone)]
pub enum Condition {
    /// A constant.
    Const(bool),
    /// All must hold.
    All(Vec<Condition>),
    /// One must hold.
    Any(Vec<Condition>),
    /// Must not hold.
    Not(Box<Condition>),
    /// A numeric comparison.
    #[doc(hidden)]
    Num(NumCmp),
    /// A text test.
    #[doc(hidden)]
    Text(TextTest),
    /// A card test.
    #[doc(hidden)]
    Card(Arc<HashSet<CardToken>>),
}

#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct NumCmp {
    left: Num,
    test: NumTest,
}

#[derive(Debug, Clone)]
enum NumTest {
    Cmp(CmpOp, Num),
    In(Vec<f64>),
    Truthy,
}

#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct TextTest {
    var: TextVar,
    set: Arc<HashSet<String>>,
    negated: bool,
}

impl Num {
    fn value(self, input: &RuleInput<'_>) -> f64 {
        match self {
            Self::Const(v) => v,
            Self::Feature(i) => f64::from(input.features.0[i]),
            Self::Score => input.score,
        }
    }
}

impl Condition {
    /// Whether the condition holds.
    pub fn holds(&self, input: &RuleInput<'_>) -> bool {
        match self {
            Self::Const(b) => *b,
            Self::All(cs) => cs.iter().all(|c| c.holds(input)),
            Self::Any(cs) => cs.iter().any(|c| c.holds(input)),
            Self::Not(c) => !c.holds(input),
            Self::Num(NumCmp { left, test }) => {
                let x = left.value(input);
                match test {
                    NumTest::Cmp(op, right) => {
                        let y = right.value(input);
                        match op {
                            CmpOp::Eq => x == y,
                            CmpOp::Ne => x != y,
                            CmpOp::Lt => x < y,
                            CmpOp::Le => x <= y,
                            CmpOp::Gt => x > y,
                            CmpOp::Ge => x >= y,
                        }
                    }
                    NumTest::In(values) => values.contains(&x),
                    NumTest::Truthy => x != 0.0,
                }
            }
            Self::Text(t) => {
                let value = match t.var {
                    TextVar::Category => input.txn.category.as_str(),
                    TextVar::Merchant => &input.txn.merchant,
                };
                t.set.contains(value) != t.negated
            }
            Self::Card(set) => set.contains(&input.txn.card),
        }
    }
}

/// Operands before type checking.
#[derive(Debug, Clone)]
enum Operand {
    Number(f64),
    Text(String),
    Bool(bool),
    Name(String, usize),
    Group(Condition),
}

struct Parser<'a> {
    source: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    lists: &'a BTreeMap<String, ListValues>,
}

/// Parses and checks a condition.
pub fn parse_condition(source: &str, lists: &BTreeMap<String, ListValues>) -> Result<Condition> {
    let mut p = Parser {
        source,
        tokens: tokenize(source)?,
        pos: 0,
        lists,
    };
    let c = p.or()?;
    match p.peek() {
        Tok::End => Ok(c),
        _ => Err(p.error("unexpected text after the condition")),
    }
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos].kind
    }

    fn at(&self) -> usize {
        self.tokens[self.pos].at
    }

    fn next(&mut self) -> Tok {
        let t = self.tokens[self.pos].kind.clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn error(&self, message: impl Into<String>) -> EngineError {
        self.error_at(self.at(), message)
    }

    fn error_at(&self, at: usize, message: impl Into<String>) -> EngineError {
        EngineError::RuleSyntax {
            message: message.into(),
            at,
            source_text: self.source.to_string(),
        }
    }

    fn or(&mut self) -> Result<Condition> {
        let mut parts = vec![self.and()?];
        while *self.peek() == Tok::Or {
            self.next();
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Condition::Any(parts)
        })
    }

    fn and(&mut self) -> Result<Condition> {
        let mut parts = vec![self.unary()?];
        while *self.peek() == Tok::And {
            self.next();
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Condition::All(parts)
        })
    }

    fn unary(&mut self) -> Result<Condition> {
        if *self.peek() == Tok::Not {
            self.next();
            return Ok(Condition::Not(Box::new(self.unary()?)));
        }
        self.compare()
    }

    fn operand(&mut self) -> Result<Operand> {
        let at = self.at();
        Ok(match self.next() {
            Tok::Number(v) => Operand::Number(v),
            Tok::Text(t) => Operand::Text(t),
            Tok::True => Operand::Bool(true),
            Tok::False => Operand::Bool(false),
            Tok::Ident(name) => Operand::Name(name, at),
            Tok::LParen => {
                let c = self.or()?;
                if self.next() != Tok::RParen {
                    return Err(self.error("expected ')'"));
                }
                Operand::Group(c)
            }
            _ => return Err(self.error_at(at, "expected a value, a name or '('")),
        })
    }

    fn compare(&mut self) -> Result<Condition> {
        let left = self.operand()?;
        match self.peek().clone() {
            Tok::Op(op) => {
                let at = self.at();
                self.next();
                let right = self.operand()?;
                self.comparison(left, op, right, at)
            }
            Tok::In => {
                self.next();
                let list = self.list()?;
                self.membership(left, list)
            }
            _ => self.truthy(left),
        }
    }

    fn list(&mut self) -> Result<ListValues> {
        let at = self.at();
        match self.next() {
            Tok::Ident(name) => self.lists.get(&name).cloned().ok_or_else(|| {
                self.error_at(at, format!("no list named '{name}' in the rules file"))
            }),
            Tok::LBracket => {
                let mut texts = Vec::new();
                let mut numbers = Vec::new();
                loop {
                    match self.next() {
                        Tok::Text(t) => texts.push(t),
                        Tok::Number(v) => numbers.push(v),
                        Tok::RBracket if texts.is_empty() && numbers.is_empty() => break,
                        _ => return Err(self.error("expected a text or a number in the list")),
                    }
                    match self.next() {
                        Tok::Comma => {}
                        Tok::RBracket => break,
                        _ => return Err(self.error("expected ',' or ']'")),
                    }
                }
                match (texts.is_empty(), numbers.is_empty()) {
                    (_, true) => Ok(ListValues::Texts(texts)),
                    (true, false) => Ok(ListValues::Numbers(numbers)),
                    (false, false) => Err(self.error_at(at, "a list mixes texts and numbers")),
                }
            }
            _ => Err(self.error_at(at, "expected a list [..] or a list name after 'in'")),
        }
    }

    fn name(&self, name: &str, at: usize) -> Result<NameKind> {
        match name {
            "score" => Ok(NameKind::Num(Num::Score)),
            "category" => Ok(NameKind::Text(TextVar::Category)),
            "merchant" => Ok(NameKind::Text(TextVar::Merchant)),
            "card" => Ok(NameKind::Card),
            _ => Feature::from_name(name)
                .map(|f| NameKind::Num(Num::Feature(f.index())))
                .ok_or_else(|| {
                    self.error_at(
                        at,
                        format!(
                            "unknown name '{name}': use a feature name (docs/features.md), score, category, merchant or card"
                        ),
                    )
                }),
        }
    }

    fn num(&self, operand: &Operand) -> Result<Option<Num>> {
        Ok(match operand {
            Operand::Number(v) => Some(Num::Const(*v)),
            Operand::Bool(b) => Some(Num::Const(f64::from(u8::from(*b)))),
            Operand::Name(n, at) => match self.name(n, *at)? {
                NameKind::Num(num) => Some(num),
                _ => None,
            },
            _ => None,
        })
    }

    fn comparison(&self, left: Operand, op: CmpOp, right: Operand, at: usize) -> Result<Condition> {
        if let (Some(l), Some(r)) = (self.num(&left)?, self.num(&right)?) {
            return Ok(Condition::Num(NumCmp {
                left: l,
                test: NumTest::Cmp(op, r),
            }));
        }
        let negated = match op {
            CmpOp::Eq => false,
            CmpOp::Ne => true,
            _ => return Err(self.error_at(at, "texts can only be compared with == or !=")),
        };
        let (name, at_name, text) = match (left, right) {
            (Operand::Name(n, a), Operand::Text(t)) | (Operand::Text(t), Operand::Name(n, a)) => {
                (n, a, t)
            }
            _ => {
                return Err(self.error_at(
                    at,
                    "cannot compare these: a text needs a text name (category, merchant, card)",
                ));
            }
        };
        let list = ListValues::Texts(vec![text]);
        let cond = self.membership(Operand::Name(name, at_name), list)?;
        Ok(if negated {
            Condition::Not(Box::new(cond))
        } else {
            cond
        })
    }

    fn membership(&self, left: Operand, list: ListValues) -> Result<Condition> {
        let Operand::Name(name, at) = left else {
            if let (Some(num), ListValues::Numbers(values)) = (self.num(&left)?, &list) {
                return Ok(Condition::Num(NumCmp {
                    left: num,
                    test: NumTest::In(values.clone()),
                }));
            }
            return Err(self.error("the left side of 'in' must be a name"));
        };
        match (self.name(&name, at)?, list) {
            (NameKind::Num(num), ListValues::Numbers(values)) => Ok(Condition::Num(NumCmp {
                left: num,
                test: NumTest::In(values),
            })),
            (NameKind::Text(var), ListValues::Texts(texts)) => {
                if var == TextVar::Category
                    && let Some(bad) = texts
                        .iter()
                        .find(|t| Category::parse(t.as_bytes()).is_err())
                {
                    return Err(self.error_at(at, format!("'{bad}' is not a category")));
                }
                Ok(Condition::Text(TextTest {
                    var,
                    set: Arc::new(texts.into_iter().collect()),
                    negated: false,
                }))
            }
            (NameKind::Card, ListValues::Texts(texts)) => {
                let mut set = HashSet::new();
                for t in texts {
                    set.insert(CardToken::parse(t.as_bytes()).map_err(|_| {
                        self.error_at(
                            at,
                            "card lists hold card tokens (ct1_ + 64 hex), never card numbers",
                        )
                    })?);
                }
                Ok(Condition::Card(Arc::new(set)))
            }
            _ => Err(self.error_at(
                at,
                format!("'{name}' cannot be compared with this list (text vs number)"),
            )),
        }
    }

    fn truthy(&self, operand: Operand) -> Result<Condition> {
        match operand {
            Operand::Group(c) => Ok(c),
            Operand::Bool(b) => Ok(Condition::Const(b)),
            other => match self.num(&other)? {
                Some(num) => Ok(Condition::Num(NumCmp {
                    left: num,
                    test: NumTest::Truthy,
                })),
                None => Err(self.error("a text is not a condition: compare it with == or in")),
            },
        }
    }
}

enum NameKind {
    Num(Num),
    Text(TextVar),
    Card,
}
