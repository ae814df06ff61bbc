//! Saving and loading the linear models: bit-identical round trips, and
//! errors (never panics) for anything else.

use proptest::prelude::*;
use vigie_model::{LinearParams, LinearSvm, LogisticRegression, ModelError, RandomFeatures};

use crate::support::{mixed_data, row};

fn logistic() -> LogisticRegression {
    LogisticRegression::fit(&mixed_data(20_000, 51), &LinearParams::default()).unwrap()
}

#[test]
fn round_trips_predict_bit_identically() {
    let data = mixed_data(5_000, 52);
    let model = logistic();
    let loaded = LogisticRegression::from_json(&model.to_json().unwrap()).unwrap();
    assert_eq!(loaded, model);
    let svm = LinearSvm::fit(&mixed_data(20_000, 53), &data, &LinearParams::default()).unwrap();
    let loaded_svm = LinearSvm::from_json(&svm.to_json().unwrap()).unwrap();
    assert_eq!(loaded_svm, svm);
    let bent_params = LinearParams {
        random_features: Some(RandomFeatures {
            dims: 32,
            gamma: 0.2,
            seed: 9,
        }),
        l2: 1e-3,
        tolerance: 1e-4,
        ..LinearParams::default()
    };
    let bent = LogisticRegression::fit(&mixed_data(5_000, 56), &bent_params).unwrap();
    let loaded_bent = LogisticRegression::from_json(&bent.to_json().unwrap()).unwrap();
    assert_eq!(loaded_bent, bent);
    for i in 0..data.n_rows() {
        let x = row(&data, i);
        assert_eq!(
            loaded.raw_score(&x).to_bits(),
            model.raw_score(&x).to_bits()
        );
        assert_eq!(
            loaded.predict_proba(&x).to_bits(),
            model.predict_proba(&x).to_bits()
        );
        assert_eq!(
            loaded_svm.raw_score(&x).to_bits(),
            svm.raw_score(&x).to_bits()
        );
        assert_eq!(
            loaded_svm.predict_proba(&x).to_bits(),
            svm.predict_proba(&x).to_bits()
        );
    }
}

fn is_decode_error<T: std::fmt::Debug>(result: Result<T, ModelError>) -> bool {
    matches!(result, Err(ModelError::Decode { .. }))
}

#[test]
fn malformed_or_inconsistent_models_are_decode_errors() {
    let json = String::from_utf8(logistic().to_json().unwrap()).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = value.clone();
        f(&mut v);
        serde_json::to_vec(&v).unwrap()
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("garbage", b"\xff\x00not json".to_vec()),
        ("truncated", json.as_bytes()[..json.len() / 2].to_vec()),
        ("svm read as logistic", {
            let svm = LinearSvm::fit(
                &mixed_data(5_000, 54),
                &mixed_data(5_000, 55),
                &LinearParams::default(),
            )
            .unwrap();
            svm.to_json().unwrap()
        }),
        (
            "wrong format",
            edit(&|v| v["format"] = "vigie.logistic_regression.v0".into()),
        ),
        (
            "coefficient missing",
            edit(&|v| {
                v["scorer"]["coefficients"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "coefficient out of f64 range",
            json.replacen("\"coefficients\":[", "\"coefficients\":[1e999,", 1)
                .into_bytes(),
        ),
        (
            "inverted clipping bounds",
            edit(&|v| {
                let e = &mut v["scorer"]["preprocessor"]["encodings"][0];
                e["low"] = 5.0.into();
                e["high"] = (-5.0).into();
            }),
        ),
        (
            "categorical block overlapping a numeric column",
            edit(&|v| {
                v["scorer"]["preprocessor"]["encodings"][2]["first_column"] = 1.into();
            }),
        ),
        (
            "levels differ from the kind",
            edit(&|v| {
                v["scorer"]["preprocessor"]["encodings"][2]["levels"] = 4.into();
            }),
        ),
        (
            "a name missing",
            edit(&|v| {
                v["scorer"]["preprocessor"]["names"]
                    .as_array_mut()
                    .unwrap()
                    .pop();
            }),
        ),
        ("unknown field", edit(&|v| v["extra"] = 1.into())),
        (
            "invalid params",
            edit(&|v| v["params"]["l2"] = (-1.0).into()),
        ),
    ];
    for (name, bytes) in cases {
        assert!(
            is_decode_error(LogisticRegression::from_json(&bytes)),
            "{name}"
        );
    }
    assert!(LogisticRegression::from_json(json.as_bytes()).is_ok());
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        prop_assert!(LogisticRegression::from_json(&bytes).is_err());
        prop_assert!(LinearSvm::from_json(&bytes).is_err());
    }
}
