//! Fault points for crash tests: `VIGIE_FAULT=<point>:<n>` makes the
//! process exit with code 137 (as if killed with SIGKILL) the `n`-th time a
//! batch reaches `<point>`. Always compiled in, inert without the variable.
//!
//! Points: `before_scoring` (batch fetched, nothing done), `after_scoring`
//! (decisions computed, not committed), `after_commit` (decisions and
//! position committed, card states not written), `after_state` (states
//! written, decisions not published), `before_ack` (decisions published,
//! messages not acknowledged).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where in a batch a crash can be injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// A batch was fetched; nothing else happened.
    BeforeScoring,
    /// Decisions computed, not committed.
    AfterScoring,
    /// Decisions committed, card states not written.
    AfterCommit,
    /// Card states written, decisions not published.
    AfterState,
    /// Decisions published, messages not acknowledged.
    BeforeAck,
}

impl FaultPoint {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "before_scoring" => Self::BeforeScoring,
            "after_scoring" => Self::AfterScoring,
            "after_commit" => Self::AfterCommit,
            "after_state" => Self::AfterState,
            "before_ack" => Self::BeforeAck,
            _ => return None,
        })
    }
}

/// The armed fault, parsed once from `VIGIE_FAULT`.
fn armed() -> Option<(FaultPoint, u64)> {
    static ARMED: OnceLock<Option<(FaultPoint, u64)>> = OnceLock::new();
    *ARMED.get_or_init(|| {
        let text = std::env::var("VIGIE_FAULT").ok()?;
        let parsed = text
            .split_once(':')
            .and_then(|(p, n)| Some((FaultPoint::parse(p)?, n.parse().ok()?)));
        if parsed.is_none() {
            tracing::warn!(value = %text, "VIGIE_FAULT is not <point>:<n>; ignored");
        }
        parsed
    })
}

/// Exits the process (code 137) when `point` is the armed fault and this
/// is its `n`-th hit.
pub fn reached(point: FaultPoint) {
    static HITS: AtomicU64 = AtomicU64::new(0);
    if let Some((armed, n)) = armed()
        && armed == point
        && HITS.fetch_add(1, Ordering::SeqCst) + 1 >= n
    {
        tracing::error!(?point, "VIGIE_FAULT: exiting at the injected fault point");
        std::process::exit(137);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_parse_by_name() {
        assert_eq!(
            FaultPoint::parse("after_commit"),
            Some(FaultPoint::AfterCommit)
        );
        assert_eq!(FaultPoint::parse("after_lunch"), None);
    }
}
