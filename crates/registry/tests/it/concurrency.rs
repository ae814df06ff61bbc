//! Two OS processes changing the same registry at once leave it consistent.

use vigie_registry::{AliasName, AuditAction, AuditFilter};

use crate::processes::ChildRole;
use crate::support::{Backend, TestRegistry, model, on_both_backends, register};

on_both_backends!(
    two_processes_promoting_at_once_leave_a_consistent_registry,
    two_processes_registering_at_once_number_versions_without_gaps,
);

fn two_processes_promoting_at_once_leave_a_consistent_registry(backend: Backend) {
    let Some(t) = TestRegistry::new(backend) else {
        return;
    };
    let reg = t.open();
    for bytes in [b"v1", b"v2", b"v3", b"v4"] {
        register(&reg, "fraud", bytes);
    }
    let iterations = "60".to_owned();
    let children = [
        ChildRole::spawn(
            "promote",
            &t,
            &[
                ("VIGIE_CHILD_VERSIONS", "1,2".into()),
                ("VIGIE_CHILD_ITERATIONS", iterations.clone()),
            ],
        ),
        ChildRole::spawn(
            "promote",
            &t,
            &[
                ("VIGIE_CHILD_VERSIONS", "3,4".into()),
                ("VIGIE_CHILD_ITERATIONS", iterations),
            ],
        ),
    ];
    let mut changes = 0;
    for mut child in children {
        let line = child.wait_for("changes ").expect("child reported nothing");
        changes += line["changes ".len()..].parse::<usize>().unwrap();
        child.join();
    }

    let current = reg
        .alias(&model("fraud"), &AliasName::parse("champion").unwrap())
        .unwrap()
        .unwrap();
    let entries: Vec<_> = reg
        .audit_log(&AuditFilter::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.alias.as_deref() == Some("champion"))
        .collect();
    assert_eq!(
        entries.len(),
        changes,
        "one audit entry per change, no more, no less"
    );
    assert!(
        changes > 40,
        "the children did change the alias ({changes})"
    );
    // Replay the log: each entry starts where the previous one ended, each
    // rollback returns to the holder on top of the history stack, and the
    // replay ends on the alias's current holder.
    let (mut holder, mut stack) = (None, Vec::new());
    for e in &entries {
        assert_eq!(
            e.before, holder,
            "entry {} does not start from the previous state",
            e.seq
        );
        match e.action {
            AuditAction::AliasSet => stack.extend(e.before),
            AuditAction::AliasRolledBack => assert_eq!(stack.pop(), e.after, "entry {}", e.seq),
            other => panic!("unexpected {other}"),
        }
        holder = e.after;
    }
    assert_eq!(holder, Some(current.version));
    reg.verify_audit_chain().unwrap();
}

fn two_processes_registering_at_once_number_versions_without_gaps(backend: Backend) {
    let Some(t) = TestRegistry::new(backend) else {
        return;
    };
    drop(t.open()); // migrate first, so the children race on registration only
    let env = [("VIGIE_CHILD_ITERATIONS", "12".to_owned())];
    let children = [
        ChildRole::spawn("register", &t, &env),
        ChildRole::spawn("register", &t, &env),
    ];
    for child in children {
        child.join();
    }
    let reg = t.open();
    let detail = reg.model(&model("fraud")).unwrap();
    let numbers: Vec<u64> = detail.versions.iter().map(|v| v.version).collect();
    assert_eq!(numbers, (1..=24).collect::<Vec<_>>());
    let mut hashes: Vec<&str> = detail
        .versions
        .iter()
        .map(|v| v.artifact.sha256.as_str())
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    assert_eq!(hashes.len(), 24, "each version has its own artifact");
    for v in &detail.versions {
        reg.fetch_artifact(&v.artifact).unwrap();
    }
    assert_eq!(reg.verify_audit_chain().unwrap().entries, 25); // model_created + 24
}
