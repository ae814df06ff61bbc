//! Checked names: run ids, model names, aliases and actors.
//!
//! A value of these types is valid by construction, so SQL, object keys and
//! MLflow calls never see an empty, overlong or ambiguous name.

use std::fmt;

use crate::error::{RegistryError, Result};

fn invalid(what: &'static str, value: &str, reason: &'static str) -> RegistryError {
    RegistryError::Invalid {
        what,
        value: value.chars().take(80).collect(),
        reason,
    }
}

fn check_name(what: &'static str, value: &str) -> Result<()> {
    if value.is_empty() || value.len() > 128 {
        return Err(invalid(what, value, "must be 1 to 128 characters"));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Err(invalid(
            what,
            value,
            "only letters, digits, '_', '-' and '.' are allowed",
        ));
    }
    Ok(())
}

/// A run's id: 32 lowercase hexadecimal digits, random.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct RunId(String);

impl RunId {
    /// A fresh random id from the operating system's generator.
    pub fn random() -> Result<Self> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| RegistryError::Config {
            message: format!("no random numbers from the OS: {e}"),
        })?;
        Ok(Self(hex::encode(bytes)))
    }

    /// Parses an id given by a user.
    pub fn parse(text: &str) -> Result<Self> {
        if text.len() == 32
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(text.to_owned()))
        } else {
            Err(invalid("run id", text, "must be 32 lowercase hex digits"))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A model's name: 1-128 characters among letters, digits, `_`, `-`, `.`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct ModelName(String);

impl ModelName {
    /// Checks a model name.
    pub fn parse(text: &str) -> Result<Self> {
        check_name("model name", text)?;
        Ok(Self(text.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An alias (`champion`, `challenger`, ...): letters, digits, `_`, `-`, at most
/// 128 characters; `latest` and `v<digits>` are refused, as MLflow refuses them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct AliasName(String);

impl AliasName {
    /// Checks an alias.
    pub fn parse(text: &str) -> Result<Self> {
        check_name("alias", text)?;
        if text.contains('.') {
            return Err(invalid("alias", text, "'.' is not allowed in an alias"));
        }
        let lower = text.to_ascii_lowercase();
        let version_like = lower.len() > 1
            && lower.starts_with('v')
            && lower[1..].bytes().all(|b| b.is_ascii_digit());
        if lower == "latest" || version_like {
            return Err(invalid(
                "alias",
                text,
                "`latest` and `v<number>` are reserved",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The alias as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AliasName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who made a change: `user:<name>` (a person, from the CLI) or `key:<id>`
/// (an API key). Recorded in every audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Actor(String);

impl Actor {
    /// `user:<name>`.
    pub fn user(name: &str) -> Result<Self> {
        Self::parse(&format!("user:{name}"))
    }

    /// `key:<id>`.
    pub fn key(id: &str) -> Result<Self> {
        Self::parse(&format!("key:{id}"))
    }

    /// Parses `user:<name>` or `key:<id>`; the name is 1-128 printable
    /// characters without spaces.
    pub fn parse(text: &str) -> Result<Self> {
        let rest = text
            .strip_prefix("user:")
            .or_else(|| text.strip_prefix("key:"))
            .ok_or_else(|| invalid("actor", text, "must start with `user:` or `key:`"))?;
        if rest.is_empty()
            || rest.len() > 128
            || rest.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(invalid(
                "actor",
                text,
                "the name must be 1 to 128 printable characters without spaces",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The actor as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_refuse_what_would_be_ambiguous() {
        assert!(ModelName::parse("fraud-gbdt_v2.1").is_ok());
        assert!(ModelName::parse("").is_err());
        assert!(ModelName::parse("a/b").is_err());
        assert!(ModelName::parse(&"x".repeat(129)).is_err());
        assert!(AliasName::parse("champion").is_ok());
        assert!(AliasName::parse("latest").is_err());
        assert!(AliasName::parse("v3").is_err());
        assert!(AliasName::parse("vip").is_ok());
        assert!(AliasName::parse("a.b").is_err());
        assert!(Actor::parse("user:alice").is_ok());
        assert!(Actor::parse("key:k_12").is_ok());
        assert!(Actor::parse("alice").is_err());
        assert!(Actor::parse("user:").is_err());
        assert!(Actor::parse("user:a b").is_err());
        assert!(RunId::parse(RunId::random().unwrap().as_str()).is_ok());
        assert!(RunId::parse("ABC").is_err());
    }
}
