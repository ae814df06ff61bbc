//! `vigie keys create|list|revoke`.

use serde_json::Value;

use crate::support::{Vigie, stderr, stdout};

#[test]
fn keys_are_created_listed_and_revoked() {
    let vigie = Vigie::new();
    let o = vigie.run(
        &[
            "keys", "create", "--name", "checkout", "--role", "scorer", "--json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let created: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with(&format!("vk_{id}_")));
    assert_eq!(created["role"], "scorer");

    let o = vigie.run(&["keys", "list", "--json"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let listed: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["revoked_at"], Value::Null);
    // Secrets are shown once, never listed, never stored in clear.
    assert!(!stdout(&o).contains(secret));
    let db = std::fs::read(vigie.data_dir().join("decisions/decisions.sqlite")).unwrap();
    assert!(!db.windows(secret.len()).any(|w| w == secret.as_bytes()));

    let o = vigie.run(&["keys", "revoke", &id], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("revoked"));
    let o = vigie.run(&["keys", "list"], &[]);
    assert!(stdout(&o).contains("revoked"), "{}", stdout(&o));

    let o = vigie.run(&["keys", "revoke", "0000000000000000"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = vigie.run(&["keys", "create", "--name", "x", "--role", "root"], &[]);
    assert_eq!(o.status.code(), Some(2));
}
