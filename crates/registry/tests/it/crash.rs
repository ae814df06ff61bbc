//! Killing the process at any point of a registration never leaves a version
//! that points at a missing or partial artifact.

use vigie_registry::{AuditFilter, Registry};

use crate::processes::ChildRole;
use crate::support::{Backend, TestRegistry, model, on_both_backends, register};

on_both_backends!(
    a_kill_at_each_step_of_a_registration_leaves_no_dangling_version,
    kill_9_at_arbitrary_moments_never_leaves_a_bad_version,
);

/// Every version's artifact is intact, versions are 1..n, the chain verifies.
fn assert_consistent(reg: &Registry) -> usize {
    let versions = match reg.model(&model("fraud")) {
        Ok(detail) => detail.versions,
        Err(vigie_registry::RegistryError::ModelNotFound { .. }) => Vec::new(),
        Err(e) => panic!("{e}"),
    };
    for (i, v) in versions.iter().enumerate() {
        assert_eq!(v.version, i as u64 + 1);
        let bytes = reg.fetch_artifact(&v.artifact).unwrap();
        assert_eq!(bytes.len() as u64, v.artifact.size);
    }
    reg.verify_audit_chain().unwrap();
    versions.len()
}

fn a_kill_at_each_step_of_a_registration_leaves_no_dangling_version(backend: Backend) {
    let Some(t) = TestRegistry::new(backend) else {
        return;
    };
    drop(t.open());
    let bytes = "the model bytes ".repeat(1000);
    for step in [
        "ArtifactWritten",
        "ArtifactStored",
        "ArtifactVerified",
        "VersionInserted",
    ] {
        let mut child = ChildRole::spawn(
            "crash",
            &t,
            &[
                ("VIGIE_CHILD_CRASH_AT", step.into()),
                ("VIGIE_CHILD_BYTES", bytes.clone()),
            ],
        );
        let reached = child
            .wait_for("reached ")
            .expect("the child never reached the step");
        assert_eq!(reached, format!("reached {step}"));
        child.kill();

        let reg = t.open();
        assert_eq!(
            assert_consistent(&reg),
            0,
            "killed at {step}: no version may exist"
        );
        assert!(reg.audit_log(&AuditFilter::default()).unwrap().is_empty());
        let sha = vigie_registry::sha256_hex(bytes.as_bytes());
        let stored = reg.artifacts().exists(&sha).unwrap();
        assert_eq!(stored, step != "ArtifactWritten", "killed at {step}");
    }
    // The interrupted registration can simply be done again: version 1.
    let reg = t.open();
    assert_eq!(register(&reg, "fraud", bytes.as_bytes()), 1);
    assert_eq!(assert_consistent(&reg), 1);
}

fn kill_9_at_arbitrary_moments_never_leaves_a_bad_version(backend: Backend) {
    let Some(t) = TestRegistry::new(backend) else {
        return;
    };
    drop(t.open());
    let mut seed = [0u8; 3];
    getrandom::fill(&mut seed).unwrap();
    let mut total = 0;
    for (round, draw) in seed.iter().enumerate() {
        let mut child =
            ChildRole::spawn("register", &t, &[("VIGIE_CHILD_ITERATIONS", "1000".into())]);
        // Let it register a random number of versions, then kill it wherever it is.
        for _ in 0..(2 + draw % 6) {
            child.wait_for("registered ").expect("child stopped early");
        }
        child.kill();
        let reg = t.open();
        let now = assert_consistent(&reg);
        assert!(now > total, "round {round}: progress was made");
        total = now;
    }
}
