//! Every damaged copy found in the wild gives a clear error, per-record
//! rejections with reasons, or a documented safe repair; none is mis-read.

use vigie_ingest::{IngestError, Mapping, ReadOptions};

use crate::support::{assert_no_card_numbers, card_numbers, fixture, ingest, try_ingest};

/// What a variant must give.
enum Expect {
    /// The file is refused as a whole; the message contains this text.
    FileError(&'static str),
    /// Every record is rejected, all with this reason code.
    AllRejected(&'static str),
    /// Every record is accepted; `check` verifies the details.
    AllAccepted(fn(&crate::support::Ingested)),
    /// Some records accepted and some rejected, with these counts.
    Mixed {
        accepted: u64,
        rejected_reason: &'static str,
    },
}

fn variants() -> Vec<(&'static str, Expect)> {
    use Expect::*;
    vec![
        (
            "V01_excel_ddmmyyyy_hhmm_sci_ccnum.csv",
            AllRejected("card_number_scientific_notation"),
        ),
        (
            "V02_excel_dd-mm-yyyy_sci_ccnum.csv",
            AllRejected("card_number_scientific_notation"),
        ),
        (
            "V03_excel_mdyy_no_index_bom.csv",
            AllRejected("card_number_scientific_notation"),
        ),
        (
            "V04_excel_mdyy_bom.csv",
            AllRejected("card_number_scientific_notation"),
        ),
        (
            "V05_excel_mdyyyy_ccnum_intact.csv",
            AllRejected("event_time_format"),
        ),
        (
            "V06_excel_dmyyyy_day_first_no_index.csv",
            AllRejected("card_number_scientific_notation"),
        ),
        (
            "V07_excel_mdyyyy_sci_ccnum.csv",
            AllRejected("card_number_scientific_notation"),
        ),
        (
            "V08_whole_line_quoted_rows.csv",
            AllAccepted(|i| {
                assert!(
                    i.report
                        .summary
                        .repaired
                        .get("unwrapped_quoted_line")
                        .copied()
                        .unwrap_or(0)
                        >= 1
                );
            }),
        ),
        (
            "V09_unnamed0_header_no_is_fraud.csv",
            AllAccepted(|i| {
                assert!(!i.report.summary.labelled);
                assert!(i.rows.iter().all(|r| r.txn.label.is_none()));
                assert!(
                    i.report.summary.out_of_order > 0,
                    "random order is reported"
                );
            }),
        ),
        (
            "V10_extra_merch_zipcode_column.csv",
            AllAccepted(|i| {
                assert_eq!(
                    i.report.summary.ignored_columns,
                    vec!["merch_zipcode".to_string()]
                );
            }),
        ),
        (
            "V11_merchant_prefix_stripped.csv",
            AllAccepted(|i| {
                assert!(
                    i.rows
                        .iter()
                        .any(|r| !r.txn.txn.merchant.starts_with("fraud_"))
                );
            }),
        ),
        ("V12_tampered_labels_and_street.csv", AllAccepted(|_| {})),
        (
            "V13_reindexed_balanced_sample_with_duplicates.csv",
            AllAccepted(|_| {}),
        ),
        (
            "V14_label_encoded_excel_serial_dates.csv",
            AllRejected("card_number_scientific_notation"),
        ),
        ("V15_headerless_chunk_in_zip.csv", FileError("not a header")),
        (
            "V16_synthetic_lookalike_merchant_A.csv",
            AllRejected("card_number_checksum"),
        ),
        (
            "V17_synthetic_lookalike_short_trans_num.csv",
            AllRejected("card_number_checksum"),
        ),
        (
            "V18_synthetic_reordered_columns.csv",
            FileError("missing required column(s) gender"),
        ),
        (
            "V19_derived_brand_merchants.csv",
            FileError("missing required column(s) cc_num"),
        ),
        ("V20_json_records.csv", FileError("JSON")),
        ("V21_git_lfs_pointer.csv", FileError("Git LFS pointer")),
        (
            "V22_derived_label_encoded_subset.csv",
            FileError("missing required column(s)"),
        ),
        (
            "V23_synthetic_feature_subset.csv",
            FileError("missing required column(s) trans_date_trans_time"),
        ),
        (
            "V24_synthetic_4col.csv",
            FileError("missing required column(s)"),
        ),
        (
            "V25_synthetic_fname_lname.csv",
            AllRejected("card_number_checksum"),
        ),
        (
            "V26_pandas_float_repr_drift.csv",
            Mixed {
                accepted: 3,
                rejected_reason: "duplicate_trans_num",
            },
        ),
    ]
}

#[test]
fn every_variant_has_its_expected_outcome() {
    let variants = variants();
    assert_eq!(variants.len(), 26, "one expectation per variant");
    for (name, expect) in variants {
        let path = fixture(&format!("bad_variants/{name}"));
        let outcome = try_ingest(&path, &ReadOptions::default());
        match (expect, outcome) {
            (Expect::FileError(text), Err(err)) => {
                let message = err.to_string();
                assert!(
                    message.contains(text),
                    "{name}: '{message}' should contain '{text}'"
                );
                for card in card_numbers(&path) {
                    assert!(
                        !message.contains(&card),
                        "{name}: the error message shows a card number"
                    );
                }
            }
            (Expect::AllRejected(reason), Ok(i)) => {
                let s = &i.report.summary;
                assert!(s.rows_read > 0, "{name}");
                assert_eq!(s.accepted, 0, "{name}: {:?}", s.rejected_by_reason);
                assert_eq!(
                    s.rejected_by_reason.get(reason),
                    Some(&s.rows_read),
                    "{name}: {:?}",
                    s.rejected_by_reason
                );
                assert_eq!(
                    i.quarantine.lines().count() as u64,
                    s.rows_read + 1,
                    "{name}: header + one line per rejection"
                );
            }
            (Expect::AllAccepted(check), Ok(i)) => {
                let s = &i.report.summary;
                assert!(s.rows_read > 0, "{name}");
                assert_eq!(
                    (s.accepted, s.rejected),
                    (s.rows_read, 0),
                    "{name}: {:?}",
                    s.rejected_by_reason
                );
                check(&i);
            }
            (
                Expect::Mixed {
                    accepted,
                    rejected_reason,
                },
                Ok(i),
            ) => {
                let s = &i.report.summary;
                assert_eq!(s.accepted, accepted, "{name}: {:?}", s.rejected_by_reason);
                assert_eq!(
                    s.rejected_by_reason.get(rejected_reason),
                    Some(&(s.rows_read - accepted)),
                    "{name}"
                );
            }
            (_, Err(err)) => panic!("{name}: unexpected file error: {err}"),
            (_, Ok(i)) => panic!("{name}: expected a file error, got {:?}", i.report.summary),
        }
    }
}

#[test]
fn rejected_rows_reach_quarantine_without_their_card_numbers() {
    for name in [
        "V05_excel_mdyyyy_ccnum_intact.csv",
        "V16_synthetic_lookalike_merchant_A.csv",
        "V17_synthetic_lookalike_short_trans_num.csv",
    ] {
        let path = fixture(&format!("bad_variants/{name}"));
        let i = ingest(&path);
        assert!(i.report.summary.rejected > 0);
        assert_no_card_numbers(
            &card_numbers(&path),
            &[("quarantine", i.quarantine.as_bytes())],
        );
        assert!(
            i.quarantine.contains("ct1_") || i.quarantine.contains("[digits removed]"),
            "{name}: card replaced by its token"
        );
    }
}

#[test]
fn quarantine_lines_point_at_the_source_lines() {
    let path = fixture("bad_variants/V05_excel_mdyyyy_ccnum_intact.csv");
    let i = ingest(&path);
    let mut reader = csv::Reader::from_reader(i.quarantine.as_bytes());
    let lines: Vec<u64> = reader
        .records()
        .map(|r| r.unwrap()[0].parse().unwrap())
        .collect();
    let expected: Vec<u64> = (2..2 + i.report.summary.rows_read).collect();
    assert_eq!(lines, expected);
}

#[test]
fn a_headerless_file_reads_with_the_explicit_repair() {
    let path = fixture("bad_variants/V15_headerless_chunk_in_zip.csv");
    let i = try_ingest(
        &path,
        &ReadOptions {
            mapping: Mapping::kaggle_without_header(),
            ..ReadOptions::default()
        },
    )
    .unwrap();
    let s = &i.report.summary;
    assert_eq!((s.accepted, s.rejected), (s.rows_read, 0));
    assert_eq!(i.rows[0].line, 1, "the first line is data");
    assert_eq!(
        i.rows[0].txn.txn.trans_num.to_string(),
        "333efb77b2bb87124447e213410e2d12"
    );
}

#[test]
fn unusable_files_are_errors_before_any_output() {
    let err = try_ingest(
        &fixture("bad_variants/V21_git_lfs_pointer.csv"),
        &ReadOptions::default(),
    )
    .err()
    .unwrap();
    assert!(matches!(err, IngestError::NotCsv { .. }));
}
