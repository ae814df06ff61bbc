//! `vigie ingest` and `vigie generate` through the real binary.

use crate::support::{Vigie, card_numbers, digit_windows, files_under, stderr, stdout};

#[test]
fn generated_data_ingests_without_rejections_and_reports_json() {
    let vigie = Vigie::new();
    let csv = vigie.generate(40);
    let o = vigie.run(&["ingest", csv.to_str().unwrap(), "--json"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    for key in [
        "rows_read",
        "accepted",
        "rejected",
        "rejected_by_reason",
        "duplicates",
        "output",
        "quarantine",
        "seconds",
    ] {
        assert!(report.get(key).is_some(), "missing {key} in {report}");
    }
    assert!(report["rows_read"].as_u64().unwrap() > 1000);
    assert_eq!(report["rejected"], 0, "{report}");
    assert_eq!(report["accepted"], report["rows_read"]);
    assert!(std::path::Path::new(report["output"].as_str().unwrap()).exists());
    assert!(std::path::Path::new(report["quarantine"].as_str().unwrap()).exists());
}

/// The card-number grep: stdout, stderr with debug logs, and every file the
/// run left in the data directory.
#[test]
fn no_card_number_is_written_or_logged() {
    let vigie = Vigie::new();
    let input = match vigie_testkit::shared_data_file("kaggle/fraudTrain_first_5039.csv") {
        Some(path) => path,
        None => vigie.generate(20),
    };
    // Add broken rows so the quarantine has card numbers to hide.
    let mut text = std::fs::read_to_string(&input).unwrap();
    let first_row = text.lines().nth(1).unwrap().to_string();
    text.push_str(&first_row.replace("2019-01-01", "01/01/2019"));
    text.push('\n');
    text.push_str(&first_row);
    text.push('\n');
    let file = vigie.dir.path().join("input.csv");
    std::fs::write(&file, text).unwrap();
    let o = vigie.run(&["-v", "ingest", file.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("rejected:"),
        "the broken rows were refused"
    );

    let cards = card_numbers(&input);
    let mut outputs = vec![
        ("stdout".to_string(), o.stdout.clone()),
        ("stderr".to_string(), o.stderr.clone()),
    ];
    for path in files_under(&vigie.data_dir()) {
        outputs.push((path.display().to_string(), std::fs::read(&path).unwrap()));
    }
    assert!(
        outputs.len() >= 5,
        "key, parquet, quarantine, stdout, stderr"
    );
    for (name, bytes) in &outputs {
        let windows = digit_windows(bytes);
        for card in &cards {
            assert!(
                !windows.contains(card.as_bytes()),
                "card number ending {} found in {name}",
                &card[card.len() - 4..]
            );
        }
    }
}

#[test]
fn unusable_files_exit_with_code_2_and_one_clear_line() {
    let vigie = Vigie::new();
    let lfs = vigie.dir.path().join("fraudTest.csv");
    std::fs::write(
        &lfs,
        "version https://git-lfs.github.com/spec/v1\noid sha256:209db63b\nsize 143639688\n",
    )
    .unwrap();
    let missing = vigie.dir.path().join("nope.csv");
    let no_columns = vigie.dir.path().join("four.csv");
    std::fs::write(
        &no_columns,
        "city,state,amt,is_fraud\nNew York,NY,251.7,0\n",
    )
    .unwrap();
    for (file, needle) in [
        (&lfs, "Git LFS pointer"),
        (&missing, "cannot read"),
        (&no_columns, "missing required column(s)"),
    ] {
        let o = vigie.run(&["ingest", file.to_str().unwrap()], &[]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let err = stderr(&o);
        let error_lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(error_lines.len(), 1, "{err}");
        assert!(error_lines[0].contains(needle), "{err}");
    }
}

#[test]
fn a_file_with_rejections_still_exits_0() {
    let vigie = Vigie::new();
    let file = vigie.dir.path().join("bad.csv");
    let header = vigie_ingest::kaggle::KAGGLE_COLUMNS.join(",");
    std::fs::write(&file, format!("{header}\n0,not a date,2.70E+15,m,misc_net,1.0,a,b,F,s,c,NY,1,1,1,1,j,1990-01-01,0b242abb623afc578575680df30655b9,1,1,1,0\n")).unwrap();
    let o = vigie.run(&["ingest", file.to_str().unwrap(), "--json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(
        report["rejected_by_reason"]["card_number_scientific_notation"],
        1
    );
}

#[test]
fn generation_is_deterministic_for_a_seed() {
    let vigie = Vigie::new();
    let run = |seed: &str, name: &str| {
        let out = vigie.dir.path().join(name);
        let o = vigie.run(
            &[
                "generate",
                "--customers",
                "5",
                "--from",
                "2020-01-01",
                "--to",
                "2020-01-31",
                "--seed",
                seed,
                "--out",
                out.to_str().unwrap(),
            ],
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(out).unwrap()
    };
    let (a, b, c) = (run("1", "a.csv"), run("1", "b.csv"), run("2", "c.csv"));
    assert_eq!(a, b);
    assert_ne!(a, c);
}
