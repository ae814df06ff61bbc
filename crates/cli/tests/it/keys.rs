//! The card-token key: created once with mode 0600, or taken from the environment.

use crate::support::{Vigie, stderr};

fn tokens(vigie: &Vigie, env: &[(&str, &str)], csv: &std::path::Path) -> Vec<String> {
    let out = vigie.dir.path().join("tokens.parquet");
    let o = vigie.run(
        &[
            "ingest",
            csv.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        env,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(out).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let mut found: Vec<String> = text
        .match_indices("ct1_")
        .map(|(i, _)| text[i..i + 68].to_string())
        .collect();
    found.sort();
    found.dedup();
    found
}

#[test]
fn first_run_creates_a_private_key_and_says_so_once() {
    let vigie = Vigie::new();
    let csv = vigie.generate(3);
    let first = vigie.run(&["ingest", csv.to_str().unwrap()], &[]);
    assert!(first.status.success());
    assert!(
        stderr(&first).contains("created a new card-token key"),
        "{}",
        stderr(&first)
    );
    let key = vigie.data_dir().join("keys/card-token.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let material = std::fs::read_to_string(&key).unwrap();
    assert!(
        !stderr(&first).contains(material.trim()),
        "the key is never logged"
    );
    let second = vigie.run(&["ingest", csv.to_str().unwrap()], &[]);
    assert!(!stderr(&second).contains("created a new card-token key"));
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        material,
        "the key is kept"
    );
}

#[test]
fn another_key_gives_other_tokens_and_the_same_key_the_same() {
    let vigie = Vigie::new();
    let csv = vigie.generate(3);
    let key_a = [("VIGIE_TOKEN_KEY", "key-a-0123456789-0123456789-0123456789")];
    let key_b = [("VIGIE_TOKEN_KEY", "key-b-0123456789-0123456789-0123456789")];
    let (a1, a2, b) = (
        tokens(&vigie, &key_a, &csv),
        tokens(&vigie, &key_a, &csv),
        tokens(&vigie, &key_b, &csv),
    );
    assert!(!a1.is_empty());
    assert_eq!(a1, a2);
    assert!(
        a1.iter().all(|t| !b.contains(t)),
        "every token changes with the key"
    );
    let short = vigie.run(
        &["ingest", csv.to_str().unwrap()],
        &[("VIGIE_TOKEN_KEY", "short")],
    );
    assert!(!short.status.success());
}
