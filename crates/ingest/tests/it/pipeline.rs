//! The parallel reader gives the same result whatever the chunking and the
//! number of threads, and handles the awkward shapes of real files.

use vigie_ingest::{Mapping, ReadOptions};

use crate::rows::random_file;
use crate::support::{ingest, temp_csv, try_ingest};

#[test]
fn chunk_size_and_threads_do_not_change_the_result() {
    let (_dir, path) = temp_csv(&random_file(3000));
    let reference = ingest(&path);
    assert_eq!(reference.report.summary.accepted, 3000);
    for (threads, chunk_bytes) in [(1, 1 << 20), (3, 4096), (2, 777), (4, 65_536)] {
        let other = try_ingest(
            &path,
            &ReadOptions {
                threads,
                chunk_bytes,
                ..ReadOptions::default()
            },
        )
        .unwrap();
        assert_eq!(
            other.rows, reference.rows,
            "threads {threads}, chunk {chunk_bytes}"
        );
        assert_eq!(other.report.summary, reference.report.summary);
    }
}

#[test]
fn bom_crlf_and_missing_final_newline_are_accepted() {
    let plain = random_file(50);
    let mut text = b"\xEF\xBB\xBF".to_vec();
    text.extend(
        String::from_utf8(plain.clone())
            .unwrap()
            .replace('\n', "\r\n")
            .trim_end()
            .as_bytes(),
    );
    let (_d1, a) = temp_csv(&plain);
    let (_d2, b) = temp_csv(&text);
    let (x, y) = (ingest(&a), ingest(&b));
    assert_eq!(
        y.report.summary.rejected, 0,
        "{:?}",
        y.report.summary.rejected_by_reason
    );
    assert_eq!(x.rows, y.rows);
}

#[test]
fn reordered_columns_read_the_same() {
    let plain = random_file(40);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(plain.as_slice());
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in reader.records() {
        let r = record.unwrap();
        let mut fields: Vec<&str> = r.iter().collect();
        fields.reverse();
        writer.write_record(&fields).unwrap();
    }
    let (_d1, a) = temp_csv(&plain);
    let (_d2, b) = temp_csv(&writer.into_inner().unwrap());
    assert_eq!(
        ingest(&a).rows.iter().map(|r| &r.txn).collect::<Vec<_>>(),
        ingest(&b).rows.iter().map(|r| &r.txn).collect::<Vec<_>>()
    );
}

#[test]
fn a_mapping_reads_another_layout() {
    let text = "id;when;pan;shop;kind;cents;sex;born;pop;hlat;hlon;mlat;mlon;fraud\n\
                0b242abb623afc578575680df30655b9;01/02/2019 13:05:09;2703186189652095;Shop, Inc;Groceries;10723;Female;09/03/1988;3495;36.0788;-81.1781;36.011293;-82.048315;yes\n";
    let mapping = Mapping::from_toml(
        r#"
        [columns]
        trans_num = "id"
        trans_date_trans_time = "when"
        cc_num = "pan"
        merchant = "shop"
        category = "kind"
        amt = "cents"
        gender = "sex"
        dob = "born"
        city_pop = "pop"
        lat = "hlat"
        long = "hlon"
        merch_lat = "mlat"
        merch_long = "mlon"
        is_fraud = "fraud"
        [format]
        delimiter = ";"
        trans_date_trans_time = "%d/%m/%Y %H:%M:%S"
        dob = "%d/%m/%Y"
        amt = "cents"
        [values.category]
        "Groceries" = "grocery_pos"
        [values.gender]
        "Female" = "F"
        [values.is_fraud]
        "yes" = "1"
        "no" = "0"
        "#,
    )
    .unwrap();
    let (_d, path) = temp_csv(text.as_bytes());
    let i = try_ingest(
        &path,
        &ReadOptions {
            mapping,
            ..ReadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        i.report.summary.rejected, 0,
        "{:?}",
        i.report.summary.rejected_by_reason
    );
    let t = &i.rows[0].txn;
    assert_eq!(t.txn.event_time.to_string(), "2019-02-01 13:05:09");
    assert_eq!(t.txn.amount.cents(), 10723);
    assert_eq!(t.txn.category.as_str(), "grocery_pos");
    assert_eq!(t.txn.birth_date.to_string(), "1988-03-09");
    assert_eq!(t.label, Some(vigie_types::Label::Fraud));
}

#[test]
fn every_record_is_accounted_for() {
    let mut text = random_file(20);
    text.extend_from_slice(b"garbage line\n");
    text.extend_from_slice(b"1,2,3\n");
    let longer = random_file(21);
    let last_line = longer.split(|b| *b == b'\n').nth(21).unwrap().to_vec();
    text.extend_from_slice(&last_line);
    text.push(b'\n');
    text.extend_from_slice(&last_line);
    text.push(b'\n');
    let (_d, path) = temp_csv(&text);
    let s = ingest(&path).report.summary;
    assert_eq!(s.rows_read, 24);
    assert_eq!(s.accepted + s.rejected, s.rows_read);
    assert_eq!(s.rejected_by_reason.get("field_count"), Some(&2));
    assert_eq!(s.duplicates, 1);
}

#[test]
fn an_id_reused_by_another_transaction_is_a_conflict_not_a_duplicate() {
    let file = random_file(2);
    let mut reader = csv::Reader::from_reader(file.as_slice());
    let headers = reader.byte_headers().unwrap().clone();
    let rows: Vec<csv::ByteRecord> = reader.byte_records().map(Result::unwrap).collect();
    let amt = headers.iter().position(|h| h == b"amt").unwrap();
    // Row 1 again with another amount: same trans_num, different transaction.
    let conflicting: csv::ByteRecord = rows[0]
        .iter()
        .enumerate()
        .map(|(i, f)| if i == amt { &b"1.23"[..] } else { f })
        .collect();
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in [&headers, &rows[0], &rows[1], &conflicting, &rows[0]] {
        writer.write_byte_record(record).unwrap();
    }
    let (_d, path) = temp_csv(&writer.into_inner().unwrap());
    let strict = ingest(&path).report.summary;
    assert_eq!(
        (strict.accepted, strict.id_conflicts, strict.duplicates),
        (2, 1, 1)
    );
    assert_eq!(
        strict.rejected_by_reason.get("trans_num_conflict"),
        Some(&1)
    );
    assert_eq!(
        strict.rejected_by_reason.get("duplicate_trans_num"),
        Some(&1)
    );
    let lenient = try_ingest(
        &path,
        &ReadOptions {
            keep_id_conflicts: true,
            ..ReadOptions::default()
        },
    )
    .unwrap();
    let s = lenient.report.summary;
    assert_eq!((s.accepted, s.id_conflicts, s.duplicates), (3, 1, 1));
}
