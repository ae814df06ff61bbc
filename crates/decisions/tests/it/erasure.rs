//! GDPR erasure leaves nothing findable by the card token, and is audited
//! without the token in clear.

use sha2::{Digest, Sha256};
use vigie_decisions::{DecisionError, DecisionFilter, Feedback};
use vigie_types::Label;

use crate::support::{Backend, TestLog, card, contains_bytes, decisions, on_both_backends};

on_both_backends!(erasure_leaves_nothing_findable_by_the_card_token);

fn erasure_leaves_nothing_findable_by_the_card_token(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let (erased, kept) = (card(), card());
    let erased_batch = decisions(3, erased);
    let kept_batch = decisions(2, kept);
    log.write_batch(&erased_batch, None).unwrap();
    log.write_batch(&kept_batch, None).unwrap();
    let erased_ids: Vec<_> = erased_batch.iter().map(|d| d.record.trans_num).collect();
    let kept_id = kept_batch[0].record.trans_num;
    for id in [erased_ids[0], kept_id] {
        log.record_feedback(&Feedback::now(id, Label::Fraud, "chargeback", "feed"))
            .unwrap();
    }
    let token = erased.to_string();
    let token_hash = hex::encode(Sha256::digest(token.as_bytes()));
    assert!(
        t.all_rows_text().contains(&token),
        "the token is there before"
    );
    if backend == Backend::Sqlite {
        assert!(contains_bytes(&t.sqlite_file_bytes(), token.as_bytes()));
    }

    let refused = log.erase_card(&erased, "").unwrap_err();
    assert!(
        matches!(refused, DecisionError::Invalid { .. }),
        "{refused}"
    );
    assert_eq!(log.erase_card(&erased, "dpo@bank").unwrap(), 3);

    assert!(log.get_many(&erased_ids).unwrap().is_empty());
    assert!(log.contains_many(&erased_ids).unwrap().is_empty());
    assert!(log.feedback_history(&erased_ids[0]).unwrap().is_empty());
    let by_card = log
        .recent(&DecisionFilter {
            card: Some(erased),
            ..DecisionFilter::default()
        })
        .unwrap();
    assert!(by_card.is_empty());
    assert!(
        log.labelled_since(vigie_decisions::UnixMillis(0), 100)
            .unwrap()
            .iter()
            .all(|l| l.trans_num == kept_id)
    );
    // Nowhere in any table, not even the audit row (which holds its hash).
    let everything = t.all_rows_text();
    assert!(!everything.contains(&token), "token left in the database");
    assert!(
        everything.contains(&token_hash),
        "the erasure is audited by hash"
    );
    assert!(everything.contains("dpo@bank"));
    assert_eq!(log.erasures_of(&erased).unwrap(), 1);
    if backend == Backend::Sqlite {
        // Not in the files either (secure_delete + checkpoint).
        let bytes = t.sqlite_file_bytes();
        assert!(
            !contains_bytes(&bytes, token.as_bytes()),
            "token left on disk"
        );
        assert!(contains_bytes(&bytes, kept.to_string().as_bytes()));
    }

    // The other card is untouched, label included.
    let stored = log.get(&kept_id).unwrap().unwrap();
    assert_eq!(stored.record, kept_batch[0].record);
    assert_eq!(stored.label.unwrap().label, Label::Fraud);
    assert_eq!(log.count().unwrap(), 2);
    // Erasing again finds nothing and is audited too.
    assert_eq!(log.erase_card(&erased, "dpo@bank").unwrap(), 0);
    assert_eq!(log.erasures_of(&erased).unwrap(), 2);
}
