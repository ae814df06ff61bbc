use std::path::Path;

use super::*;

const HEADER: &str = ",trans_date_trans_time,cc_num,merchant,category,amt,first,last,gender,street,city,state,zip,lat,long,city_pop,job,dob,trans_num,unix_time,merch_lat,merch_long,is_fraud\n";

fn row(index: u32, unix_time: i64, trans_num: &str, is_fraud: u8) -> String {
    format!(
        "{index},2019-01-01 00:00:18,2703186189652095,\"fraud_Rippin, Kub and Mann\",misc_net,4.97,Jennifer,Banks,F,561 Perry Cove,Moravian Falls,NC,28654,36.0788,-81.1781,3495,\"Psychologist, counselling\",1988-03-09,{trans_num},{unix_time},36.011293,-82.048315,{is_fraud}\n"
    )
}

fn load(text: &str, limit: Option<u64>) -> Result<Workload> {
    Workload::read(text.as_bytes(), Path::new("test.csv"), limit)
}

fn body(workload: &Workload, i: usize) -> serde_json::Value {
    serde_json::from_slice(&workload.requests()[i].body).unwrap()
}

#[test]
fn body_has_the_raw_fields_with_their_json_types_and_no_label() {
    let text = format!(
        "{HEADER}{}",
        row(0, 1_325_376_018, "0b242abb623afc578575680df30655b9", 1)
    );
    let workload = load(&text, None).unwrap();
    let value = body(&workload, 0);
    let object = value.as_object().unwrap();
    assert_eq!(object.len(), 21);
    assert!(!object.contains_key("is_fraud"));
    assert!(!object.contains_key(""));
    assert_eq!(value["cc_num"], "2703186189652095");
    assert_eq!(value["zip"], "28654");
    assert_eq!(value["merchant"], "fraud_Rippin, Kub and Mann");
    assert_eq!(value["job"], "Psychologist, counselling");
    assert_eq!(value["amt"].as_f64(), Some(4.97));
    assert_eq!(value["city_pop"].as_u64(), Some(3495));
    assert_eq!(value["unix_time"].as_i64(), Some(1_325_376_018));
    assert_eq!(value["merch_long"].as_f64(), Some(-82.048315));
    assert_eq!(workload.requests()[0].is_fraud, Some(true));
    assert!(workload.is_labelled());
}

#[test]
fn numbers_are_copied_byte_for_byte() {
    let text = format!("{HEADER}{}", row(0, 1, "a", 0)).replace("36.0788", "39.450497999999996");
    let workload = load(&text, None).unwrap();
    let raw = std::str::from_utf8(&workload.requests()[0].body).unwrap();
    assert!(raw.contains("\"lat\":39.450497999999996,"), "{raw}");
}

#[test]
fn unsorted_file_is_sent_in_unix_time_then_trans_num_order() {
    let text = format!(
        "{HEADER}{}{}{}{}",
        row(0, 30, "c", 0),
        row(1, 10, "b", 0),
        row(2, 10, "a", 0),
        row(3, 20, "d", 0)
    );
    let workload = load(&text, None).unwrap();
    assert!(workload.was_resorted());
    let order: Vec<String> = (0..4)
        .map(|i| {
            body(&workload, i)["trans_num"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(order, ["a", "b", "d", "c"]);
}

#[test]
fn sorted_file_keeps_file_order_for_ties_and_stops_at_the_limit() {
    let text = format!(
        "{HEADER}{}{}{}",
        row(0, 10, "z", 0),
        row(1, 10, "a", 0),
        row(2, 11, "m", 0)
    );
    let workload = load(&text, Some(2)).unwrap();
    assert!(!workload.was_resorted());
    assert_eq!(workload.len(), 2);
    assert_eq!(body(&workload, 0)["trans_num"], "z");
    assert_eq!(body(&workload, 1)["trans_num"], "a");
}

#[test]
fn limit_applies_after_sorting_an_unsorted_file() {
    let text = format!(
        "{HEADER}{}{}{}",
        row(0, 30, "c", 0),
        row(1, 20, "b", 0),
        row(2, 10, "a", 0)
    );
    let workload = load(&text, Some(1)).unwrap();
    assert_eq!(workload.len(), 1);
    assert_eq!(body(&workload, 0)["trans_num"], "a");
}

#[test]
fn limit_on_a_sorted_file_keeps_ties_with_the_last_kept_row() {
    let text = format!(
        "{HEADER}{}{}{}{}",
        row(0, 10, "m", 0),
        row(1, 20, "z", 0),
        row(2, 20, "b", 0),
        row(3, 30, "a", 0)
    );
    let workload = load(&text, Some(2)).unwrap();
    assert!(!workload.was_resorted());
    assert_eq!(body(&workload, 0)["trans_num"], "m");
    assert_eq!(body(&workload, 1)["trans_num"], "z");
}

#[test]
fn file_without_label_has_no_labels() {
    let header = HEADER.replace(",is_fraud", "");
    let text = format!("{header}{}", row(0, 1, "a", 0).replace(",0\n", "\n"));
    let workload = load(&text, None).unwrap();
    assert!(!workload.is_labelled());
    assert_eq!(workload.requests()[0].is_fraud, None);
}

#[test]
fn missing_column_is_named() {
    let header = HEADER.replace(",merch_long", "");
    let err = load(&header, None).unwrap_err();
    assert!(err.to_string().contains("`merch_long`"), "{err}");
}

#[test]
fn bad_number_names_line_and_column_but_not_the_value() {
    let text = format!(
        "{HEADER}{}{}",
        row(0, 1, "a", 0),
        row(1, 2, "b", 0).replace("4.97", "4.97x")
    );
    let err = load(&text, None).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("line 3") && message.contains("`amt`"),
        "{message}"
    );
    assert!(!message.contains("2703186189652095"));
}

#[test]
fn bom_on_the_header_is_accepted() {
    let text = format!("\u{feff}{}{}", &HEADER[1..], &row(0, 1, "a", 0)[2..]);
    let workload = load(&text, None).unwrap();
    assert_eq!(
        body(&workload, 0)["trans_date_trans_time"],
        "2019-01-01 00:00:18"
    );
}

#[test]
fn json_number_grammar() {
    for good in [
        "0",
        "-1",
        "45.0",
        "82.8",
        "1e5",
        "-0.5E-3",
        "39.450497999999996",
    ] {
        assert!(is_json_number(good.as_bytes()), "{good}");
    }
    for bad in [
        "", "-", "01", "1.", ".5", "1e", "nan", "inf", "1,5", "0x10", "+1",
    ] {
        assert!(!is_json_number(bad.as_bytes()), "{bad}");
    }
}
