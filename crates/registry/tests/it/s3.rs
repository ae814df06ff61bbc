//! The S3 artifact store against a real S3-compatible server (moto, from
//! PyPI, installed by `scripts/py-test-env.sh s3`), on 127.0.0.1.

use std::process::{Command, Stdio};
use std::time::Duration;

use vigie_registry::{
    ArtifactStore, NewVersion, Registry, RegistryConfig, RegistryError, S3Settings, sha256_hex,
};

use crate::processes::{Server, free_port, python_env, wait_until};
use crate::support::{alice, model};

#[test]
fn artifacts_go_to_an_s3_compatible_bucket_and_are_verified() {
    let Some(bin) = python_env("s3") else { return };
    let port = free_port();
    let mut cmd = Command::new(bin.join("moto_server"));
    cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut server = Server::spawn(cmd);
    let endpoint = format!("http://127.0.0.1:{port}");
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    wait_until("moto_server", Duration::from_secs(60), || {
        assert!(!server.exited(), "moto_server exited");
        agent.get(&format!("{endpoint}/")).call().is_ok()
    });
    // Public read-write, so this test can look at (and damage) objects
    // without signing; the store itself always signs.
    let created = agent
        .put(&format!("{endpoint}/vigie-test"))
        .header("x-amz-acl", "public-read-write")
        .send_empty()
        .unwrap();
    assert!(
        created.status().is_success(),
        "bucket creation: {}",
        created.status()
    );

    let settings = S3Settings {
        endpoint: Some(endpoint.clone()),
        region: "us-east-1".into(),
        access_key_id: "AKIDTEST".into(),
        secret_access_key: "not-a-real-secret".into(),
        session_token: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let reg = Registry::open(&RegistryConfig {
        data_dir: dir.path().into(),
        database_url: None,
        artifacts_url: Some("s3://vigie-test/models/prod".into()),
        s3: Some(settings),
    })
    .unwrap();
    let bytes = b"a model stored in a bucket".repeat(1000);
    let artifact = reg.store_artifact(&bytes).unwrap();
    let sha = sha256_hex(&bytes);
    assert_eq!(
        artifact.uri,
        format!("s3://vigie-test/models/prod/sha256/{}/{sha}", &sha[..2])
    );
    let version = reg
        .register_version(
            &NewVersion {
                model: model("fraud"),
                run_id: None,
                artifact: artifact.clone(),
                feature_schema_hash: "fs1".into(),
                description: String::new(),
            },
            &alice(),
        )
        .unwrap();
    assert_eq!(version.artifact.uri, artifact.uri);
    assert!(reg.fetch_artifact(&version.artifact).unwrap() == bytes);
    assert!(reg.artifacts().exists(&sha).unwrap());
    // Nothing was written locally.
    assert!(!dir.path().join("artifacts").exists());

    // The object is really in the bucket, under its content address.
    let object_url = format!(
        "{endpoint}/vigie-test/models/prod/sha256/{}/{sha}",
        &sha[..2]
    );
    let mut got = agent.get(&object_url).call().unwrap();
    let status = got.status();
    let body = got
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_vec()
        .unwrap();
    assert!(
        status.is_success(),
        "GET {object_url}: {status} {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(sha256_hex(&body), sha, "the bucket holds the exact bytes");

    // A missing object, then a damaged one.
    let missing = sha256_hex(b"missing");
    assert!(!reg.artifacts().exists(&missing).unwrap());
    assert!(matches!(
        reg.artifacts().get(&missing),
        Err(RegistryError::ArtifactMissing { .. })
    ));
    agent.put(&object_url).send(&b"truncated"[..]).unwrap();
    assert!(matches!(
        reg.fetch_artifact(&artifact),
        Err(RegistryError::ArtifactCorrupt { .. })
    ));
    let ArtifactStore::S3(_) = reg.artifacts() else {
        panic!("S3 store expected")
    };
}
