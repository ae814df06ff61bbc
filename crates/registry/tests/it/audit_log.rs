//! The audit log, on both backends: every change recorded with actor, action,
//! target, before, after and time; append-only; an edited row is detected.

use vigie_registry::{AliasName, AuditAction, AuditFilter, RegistryError};

use crate::support::{Backend, TestRegistry, alice, model, on_both_backends, register};

on_both_backends!(
    every_change_is_audited_with_actor_target_before_and_after,
    the_audit_log_cannot_be_rewritten_and_an_edit_is_detected,
);

fn champion() -> AliasName {
    AliasName::parse("champion").unwrap()
}

fn every_change_is_audited_with_actor_target_before_and_after(backend: Backend) {
    let Some(t) = TestRegistry::new(backend) else {
        return;
    };
    let reg = t.open();
    let bob = vigie_registry::Actor::key("k_bob").unwrap();
    register(&reg, "fraud", b"v1");
    register(&reg, "fraud", b"v2");
    reg.set_alias(&model("fraud"), &champion(), 1, &alice())
        .unwrap();
    reg.set_alias(&model("fraud"), &champion(), 2, &bob)
        .unwrap();
    reg.rollback_alias(&model("fraud"), &champion(), &bob)
        .unwrap();

    let log = reg.audit_log(&AuditFilter::default()).unwrap();
    type Row = (AuditAction, String, String, Option<u64>, Option<u64>);
    let summary: Vec<Row> = log
        .iter()
        .map(|e| (e.action, e.actor.clone(), e.target(), e.before, e.after))
        .collect();
    use AuditAction::*;
    assert_eq!(
        summary,
        vec![
            (
                ModelCreated,
                "user:alice".into(),
                "fraud".into(),
                None,
                None
            ),
            (
                VersionRegistered,
                "user:alice".into(),
                "fraud".into(),
                None,
                Some(1)
            ),
            (
                VersionRegistered,
                "user:alice".into(),
                "fraud".into(),
                None,
                Some(2)
            ),
            (
                AliasSet,
                "user:alice".into(),
                "fraud@champion".into(),
                None,
                Some(1)
            ),
            (
                AliasSet,
                "key:k_bob".into(),
                "fraud@champion".into(),
                Some(1),
                Some(2)
            ),
            (
                AliasRolledBack,
                "key:k_bob".into(),
                "fraud@champion".into(),
                Some(2),
                Some(1)
            ),
        ]
    );
    let seqs: Vec<i64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6]);
    assert!(
        log.windows(2)
            .all(|w| w[0].at <= w[1].at && w[1].prev_hash == w[0].hash)
    );
    let detail: serde_json::Value = serde_json::from_str(&log[1].detail).unwrap();
    assert_eq!(detail["sha256"], vigie_registry::sha256_hex(b"v1"));
    let report = reg.verify_audit_chain().unwrap();
    assert_eq!(
        (report.entries, report.head.as_str()),
        (6, log[5].hash.as_str())
    );
    let last_two = reg
        .audit_log(&AuditFilter {
            model: Some("fraud".into()),
            limit: Some(2),
        })
        .unwrap();
    assert_eq!(
        last_two.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![5, 6]
    );
    assert!(
        reg.audit_log(&AuditFilter {
            model: Some("x".into()),
            limit: None
        })
        .unwrap()
        .is_empty()
    );
}

fn the_audit_log_cannot_be_rewritten_and_an_edit_is_detected(backend: Backend) {
    let Some(t) = TestRegistry::new(backend) else {
        return;
    };
    let reg = t.open();
    register(&reg, "fraud", b"v1");
    register(&reg, "fraud", b"v2");
    reg.set_alias(&model("fraud"), &champion(), 2, &alice())
        .unwrap();
    assert_eq!(reg.verify_audit_chain().unwrap().entries, 4);

    // The database itself refuses edits and deletions.
    let refused = t
        .raw_sql("UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 2")
        .unwrap_err();
    assert!(refused.contains("append-only"), "{refused}");
    let refused = t
        .raw_sql("DELETE FROM audit_log WHERE seq = 4")
        .unwrap_err();
    assert!(refused.contains("append-only"), "{refused}");

    // Someone with admin rights drops the guard and edits a row: detected.
    let edit = format!(
        "{} UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 3;",
        t.disable_audit_triggers_sql()
    );
    t.raw_sql(&edit).unwrap();
    match reg.verify_audit_chain() {
        Err(RegistryError::AuditChainBroken { seq, reason }) => {
            assert_eq!(seq, 3, "{reason}");
        }
        other => panic!("edit not detected: {other:?}"),
    }
}
