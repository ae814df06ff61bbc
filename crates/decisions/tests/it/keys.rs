//! API keys on both backends: create, verify, revoke, wrong keys, the
//! cache, roles.

use std::time::Duration;

use vigie_decisions::{DecisionError, KeyStore, Role};

use crate::support::{Backend, TestLog, on_both_backends};

on_both_backends!(
    a_created_key_verifies_with_its_role_and_is_stored_hashed,
    wrong_and_malformed_keys_are_rejected,
    a_revoked_key_is_rejected_at_once_here_and_within_the_ttl_elsewhere,
);

fn a_created_key_verifies_with_its_role_and_is_stored_hashed(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let keys = KeyStore::new(&log, KeyStore::DEFAULT_CACHE_TTL);
    let (info, secret) = keys.create("checkout-service", Role::Scorer).unwrap();
    let (admin_info, admin_secret) = keys.create("alice", Role::Admin).unwrap();
    assert!(secret.expose().starts_with(&format!("vk_{}_", info.id)));
    assert_eq!(secret.expose().len(), 3 + 16 + 1 + 64);

    let verified = keys.verify(secret.expose()).unwrap().unwrap();
    assert_eq!(verified, info);
    assert_eq!(verified.role, Role::Scorer);
    assert!(verified.role.allows(Role::Scorer) && !verified.role.allows(Role::Analyst));
    let admin = keys.verify(admin_secret.expose()).unwrap().unwrap();
    assert_eq!(admin, admin_info);
    assert!(admin.role.allows(Role::Analyst));
    // Verified twice (the second from the cache), and by a fresh store.
    assert_eq!(keys.verify(secret.expose()).unwrap(), Some(info.clone()));
    let fresh = KeyStore::new(&t.open(), Duration::ZERO);
    assert_eq!(fresh.verify(secret.expose()).unwrap(), Some(info.clone()));

    let listed = keys.list().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&info) && listed.contains(&admin_info));
    // Only a salted hash is stored: the secret part is nowhere.
    let everything = t.all_rows_text();
    let secret_part = &secret.expose()[20..];
    assert!(!everything.contains(secret_part));
    assert!(everything.contains(&info.id));

    let bad_name = keys.create("", Role::Admin).unwrap_err();
    assert!(
        matches!(bad_name, DecisionError::Invalid { .. }),
        "{bad_name}"
    );
}

fn wrong_and_malformed_keys_are_rejected(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let keys = KeyStore::new(&log, KeyStore::DEFAULT_CACHE_TTL);
    let (info, secret) = keys.create("svc", Role::Analyst).unwrap();
    let good = secret.expose();
    // Prime the cache: wrong keys must be refused from the cache too.
    assert!(keys.verify(good).unwrap().is_some());
    let last = good.chars().last().unwrap();
    let flipped = format!(
        "{}{}",
        &good[..good.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    let (_, other) = keys.create("other", Role::Analyst).unwrap();
    let other_secret_on_this_id = format!("vk_{}_{}", info.id, &other.expose()[20..]);
    let unknown_id = format!("vk_{}_{}", "0".repeat(16), &good[20..]);
    for wrong in [
        flipped.as_str(),
        other_secret_on_this_id.as_str(),
        unknown_id.as_str(),
        "",
        "vk_",
        "Bearer something",
        &good[..good.len() - 2],
        &good.to_uppercase(),
    ] {
        assert_eq!(keys.verify(wrong).unwrap(), None, "{wrong:?}");
    }
    assert!(keys.verify(good).unwrap().is_some());
}

fn a_revoked_key_is_rejected_at_once_here_and_within_the_ttl_elsewhere(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let keys = KeyStore::new(&log, KeyStore::DEFAULT_CACHE_TTL);
    let (info, secret) = keys.create("svc", Role::Scorer).unwrap();
    // Another process, with a long cache, has verified the key.
    let elsewhere = KeyStore::new(&t.open(), Duration::from_secs(3_600));
    assert!(elsewhere.verify(secret.expose()).unwrap().is_some());

    assert!(keys.revoke(&info.id).unwrap());
    assert_eq!(
        keys.verify(secret.expose()).unwrap(),
        None,
        "revoked here at once"
    );
    assert!(!keys.revoke(&info.id).unwrap(), "already revoked");
    // The other process trusts its cache until the TTL (documented) ...
    assert!(elsewhere.verify(secret.expose()).unwrap().is_some());
    // ... and a process with an expired cache sees the revocation.
    let expired = KeyStore::new(&t.open(), Duration::ZERO);
    assert_eq!(expired.verify(secret.expose()).unwrap(), None);

    let listed = keys.list().unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].revoked_at.is_some());
    let missing = keys.revoke("0123456789abcdef").unwrap_err();
    assert!(
        matches!(missing, DecisionError::KeyNotFound { .. }),
        "{missing}"
    );
}
