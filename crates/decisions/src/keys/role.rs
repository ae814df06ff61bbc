//! What an API key may do.

use serde::{Deserialize, Serialize};

/// An API key's role. Roles are ordered: an admin can do everything an
/// analyst can, an analyst everything a scorer can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Scores transactions.
    Scorer,
    /// Also reads decisions, explains them and gives feedback.
    Analyst,
    /// Also manages models, keys and erasures.
    Admin,
}

impl Role {
    /// Whether a key with this role may call an endpoint that requires `required`.
    pub fn allows(self, required: Role) -> bool {
        self >= required
    }

    /// `scorer`, `analyst` or `admin`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Scorer => "scorer",
            Self::Analyst => "analyst",
            Self::Admin => "admin",
        }
    }

    /// Parses `scorer`, `analyst` or `admin`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "scorer" => Some(Self::Scorer),
            "analyst" => Some(Self::Analyst),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn roles_are_ordered_admin_over_analyst_over_scorer() {
        let all = [Role::Scorer, Role::Analyst, Role::Admin];
        for (i, held) in all.iter().enumerate() {
            for (j, required) in all.iter().enumerate() {
                assert_eq!(held.allows(*required), i >= j, "{held} vs {required}");
            }
        }
        for role in all {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
