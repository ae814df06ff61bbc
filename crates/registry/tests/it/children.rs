//! The child side of the multi-process tests. `child_entry` is ignored in
//! normal runs; a parent test re-executes this binary with `--ignored --exact
//! children::child_entry` and `VIGIE_CHILD_ROLE` set. Children report
//! progress on stdout as `<word> <value>` lines.

use std::io::{Read, Write};

use vigie_registry::{AliasName, Registry, RegistryConfig, RegistryError, Step};

use crate::support::{alice, model, register};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} must be set"))
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}

#[test]
#[ignore = "child process entry point, run by the multi-process tests"]
fn child_entry() {
    let config = RegistryConfig {
        data_dir: env("VIGIE_CHILD_DATA_DIR").into(),
        database_url: std::env::var("VIGIE_CHILD_DATABASE_URL").ok(),
        artifacts_url: None,
        s3: None,
    };
    match env("VIGIE_CHILD_ROLE").as_str() {
        "promote" => promote(&config),
        "register" => register_loop(&config),
        "crash" => crash(&config),
        other => panic!("unknown role {other}"),
    }
}

/// Moves `champion` through `VIGIE_CHILD_VERSIONS`, rolling back every third
/// time; reports how many changes it made.
fn promote(config: &RegistryConfig) {
    let reg = Registry::open(config).unwrap();
    let versions: Vec<u64> = env("VIGIE_CHILD_VERSIONS")
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    let iterations: usize = env("VIGIE_CHILD_ITERATIONS").parse().unwrap();
    let (m, a) = (model("fraud"), AliasName::parse("champion").unwrap());
    let mut changes = 0;
    for i in 0..iterations {
        let outcome = if i % 3 == 2 {
            reg.rollback_alias(&m, &a, &alice())
        } else {
            reg.set_alias(&m, &a, versions[i % versions.len()], &alice())
        };
        match outcome {
            Ok(change) => changes += usize::from(change.changed),
            Err(RegistryError::NothingToRollBack { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    say(&format!("changes {changes}"));
}

/// Registers `VIGIE_CHILD_ITERATIONS` versions of distinct bytes.
fn register_loop(config: &RegistryConfig) {
    let reg = Registry::open(config).unwrap();
    let iterations: usize = env("VIGIE_CHILD_ITERATIONS").parse().unwrap();
    let pid = std::process::id();
    for i in 0..iterations {
        let bytes = format!("model of process {pid}, iteration {i}").repeat(200);
        let version = register(&reg, "fraud", bytes.as_bytes());
        say(&format!("registered {version}"));
    }
}

/// Registers one version, stopping dead at `VIGIE_CHILD_CRASH_AT` until killed.
fn crash(config: &RegistryConfig) {
    let mut reg = Registry::open(config).unwrap();
    let crash_at = env("VIGIE_CHILD_CRASH_AT");
    reg.set_fault_hook(move |step: Step| {
        if format!("{step:?}") == crash_at {
            say(&format!("reached {step:?}"));
            // Wait here for the parent's SIGKILL (stdin stays open until then).
            let _ = std::io::stdin().read(&mut [0u8; 1]);
            panic!("the parent should have killed this process");
        }
    });
    register(&reg, "fraud", env("VIGIE_CHILD_BYTES").as_bytes());
    say("completed");
}
