//! Tokens of the rule language.

use crate::error::{EngineError, Result};

/// A token and where it starts (byte offset, for error messages).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: Tok,
    pub(crate) at: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Number(f64),
    Text(String),
    Ident(String),
    And,
    Or,
    Not,
    In,
    True,
    False,
    Op(CmpOp),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    End,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

fn error(source: &str, at: usize, message: impl Into<String>) -> EngineError {
    EngineError::RuleSyntax {
        message: message.into(),
        at,
        source_text: source.to_string(),
    }
}

pub(crate) fn tokenize(source: &str) -> Result<Vec<Token>> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let at = i;
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b'[' => Tok::LBracket,
            b']' => Tok::RBracket,
            b',' => Tok::Comma,
            b'=' | b'!' | b'<' | b'>' => {
                let two = bytes.get(i + 1) == Some(&b'=');
                let op = match (c, two) {
                    (b'=', true) => CmpOp::Eq,
                    (b'!', true) => CmpOp::Ne,
                    (b'<', true) => CmpOp::Le,
                    (b'>', true) => CmpOp::Ge,
                    (b'<', false) => CmpOp::Lt,
                    (b'>', false) => CmpOp::Gt,
                    _ => return Err(error(source, at, "expected == or !=")),
                };
                i += if two { 2 } else { 1 };
                out.push(Token {
                    kind: Tok::Op(op),
                    at,
                });
                continue;
            }
            b'"' | b'\'' => {
                let end = source[i + 1..]
                    .find(char::from(c))
                    .ok_or_else(|| error(source, at, "unterminated string"))?;
                let text = source[i + 1..i + 1 + end].to_string();
                i += end + 2;
                out.push(Token {
                    kind: Tok::Text(text),
                    at,
                });
                continue;
            }
            b'0'..=b'9' | b'.' | b'-' => {
                let len = source[i..]
                    .find(|ch: char| {
                        !(ch.is_ascii_digit() || ch == '.' || ch == '_' || ch == '-' || ch == 'e')
                    })
                    .unwrap_or(source.len() - i);
                let text: String = source[i..i + len].chars().filter(|&ch| ch != '_').collect();
                let value = text
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| error(source, at, format!("'{text}' is not a number")))?;
                i += len;
                out.push(Token {
                    kind: Tok::Number(value),
                    at,
                });
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let len = source[i..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                    .unwrap_or(source.len() - i);
                let word = &source[i..i + len];
                i += len;
                let kind = match word {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "in" => Tok::In,
                    "true" => Tok::True,
                    "false" => Tok::False,
                    _ => Tok::Ident(word.to_string()),
                };
                out.push(Token { kind, at });
                continue;
            }
            _ => {
                return Err(error(
                    source,
                    at,
                    format!("unexpected character '{}'", char::from(c)),
                ));
            }
        };
        i += 1;
        out.push(Token { kind, at });
    }
    out.push(Token {
        kind: Tok::End,
        at: source.len(),
    });
    Ok(out)
}
