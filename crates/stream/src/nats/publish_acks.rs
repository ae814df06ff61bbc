//! The publisher's acknowledgements, on one subscription instead of a
//! request per message.
//!
//! `async-nats`' JetStream publish makes every message a request: a fresh
//! inbox name, a random token, a one-shot channel registered with the
//! connection, a timer, and an untagged-enum parse of the answer. The
//! publisher sends tens of thousands of messages a second, so it publishes
//! each with a reply subject of its own inbox instead, `<inbox>.<slot>`, and
//! reads every acknowledgement from one subscription to `<inbox>.*`: the
//! slot says which message an acknowledgement answers.
//!
//! An acknowledgement is the stream's `PubAck` (`{"stream":..,"seq":..}`,
//! with `"duplicate":true` when the `Nats-Msg-Id` was seen in the duplicate
//! window), a JetStream API error (`{"error":{..}}`), or a `503` status when
//! no stream stores the subject.

use std::time::Duration;

use async_nats::{Client, Message, StatusCode, Subject, Subscriber};
use futures_util::StreamExt;
use serde::Deserialize;

use crate::error::{Result, StreamError};

/// What the server answered for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AckOutcome {
    /// Stored in the stream.
    Stored,
    /// Not stored again: its `Nats-Msg-Id` is in the duplicate window.
    Duplicate,
    /// Refused or not stored; the reason.
    Failed(String),
}

/// The subscription acknowledgements arrive on.
pub(crate) struct AckInbox {
    /// `<inbox>.`: a reply subject is this and the slot.
    prefix: String,
    subscription: Subscriber,
}

impl AckInbox {
    /// Subscribes to a fresh inbox of `client`.
    pub(crate) async fn open(client: &Client) -> Result<Self> {
        let prefix = format!("{}.", client.new_inbox());
        let subscription = client
            .subscribe(format!("{prefix}*"))
            .await
            .map_err(|e| StreamError::nats("subscribing to publish acknowledgements", e))?;
        Ok(Self {
            prefix,
            subscription,
        })
    }

    /// The reply subject of the message in `slot`.
    pub(crate) fn reply_subject(&self, slot: u64) -> Subject {
        Subject::from(format!("{}{slot}", self.prefix))
    }

    /// The next acknowledgement and its slot, waiting at most `wait`;
    /// `None` when none came in time. Messages that are not
    /// acknowledgements of this inbox are skipped.
    pub(crate) async fn next(&mut self, wait: Duration) -> Result<Option<(u64, AckOutcome)>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = match tokio::time::timeout_at(deadline, self.subscription.next()).await {
                Err(_elapsed) => return Ok(None),
                Ok(None) => {
                    return Err(StreamError::nats(
                        "reading publish acknowledgements",
                        std::io::Error::other("the connection closed the subscription"),
                    ));
                }
                Ok(Some(message)) => message,
            };
            let slot = message
                .subject
                .as_str()
                .strip_prefix(&self.prefix)
                .and_then(|s| s.parse::<u64>().ok());
            if let Some(slot) = slot {
                return Ok(Some((slot, outcome_of(&message))));
            }
        }
    }
}

#[derive(Deserialize)]
struct AckBody {
    #[serde(default)]
    duplicate: bool,
    error: Option<ApiError>,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    code: u16,
    #[serde(default)]
    err_code: u64,
    #[serde(default)]
    description: String,
}

/// Reads one acknowledgement.
fn outcome_of(message: &Message) -> AckOutcome {
    if message.status == Some(StatusCode::NO_RESPONDERS) {
        return AckOutcome::Failed("no stream stores this subject (no responders)".into());
    }
    if let Some(status) = message.status
        && status != StatusCode::OK
    {
        let detail = message.description.as_deref().unwrap_or("");
        return AckOutcome::Failed(format!("status {status} {detail}").trim_end().to_string());
    }
    match serde_json::from_slice::<AckBody>(&message.payload) {
        Ok(AckBody { error: Some(e), .. }) => AckOutcome::Failed(format!(
            "{} (code {}, err_code {})",
            e.description, e.code, e.err_code
        )),
        Ok(AckBody {
            duplicate: true, ..
        }) => AckOutcome::Duplicate,
        Ok(_) => AckOutcome::Stored,
        Err(e) => AckOutcome::Failed(format!("unreadable acknowledgement: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(payload: &str, status: Option<StatusCode>) -> Message {
        Message {
            subject: "_INBOX.x.1".into(),
            reply: None,
            payload: payload.as_bytes().to_vec().into(),
            headers: None,
            status,
            description: None,
            length: payload.len(),
        }
    }

    #[test]
    fn acknowledgements_are_read() {
        let stored = reply(r#"{"stream":"VIGIE_TX","seq":12}"#, None);
        assert_eq!(outcome_of(&stored), AckOutcome::Stored);
        let again = reply(r#"{"stream":"VIGIE_TX","seq":12,"duplicate":true}"#, None);
        assert_eq!(outcome_of(&again), AckOutcome::Duplicate);
        let refused = reply(
            r#"{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}"#,
            None,
        );
        assert_eq!(
            outcome_of(&refused),
            AckOutcome::Failed("maximum messages exceeded (code 503, err_code 10077)".into())
        );
        let nobody = reply("", Some(StatusCode::NO_RESPONDERS));
        assert!(
            matches!(outcome_of(&nobody), AckOutcome::Failed(r) if r.contains("no responders"))
        );
        assert!(
            matches!(outcome_of(&reply("{", None)), AckOutcome::Failed(r) if r.contains("unreadable"))
        );
    }
}
