//! Save/load: bit-identical round trips, and damaged files refused with
//! `ModelError::Decode`, never a panic.

use serde_json::{Value, json};
use vigie_model::{Forest, ForestParams, Gbdt, GbdtParams, ModelError};

use crate::synthetic::fraud_like;

fn gbdt() -> (Gbdt, vigie_model::Dataset) {
    let data = fraud_like(4_000, 6, 1);
    let params = GbdtParams {
        n_trees: 12,
        ..GbdtParams::default()
    };
    (
        Gbdt::fit(&data, Some(&data.slice(0..500)), &params).unwrap(),
        data,
    )
}

fn to_bytes(save: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> Vec<u8> {
    let mut bytes = Vec::new();
    save(&mut bytes).unwrap();
    bytes
}

#[test]
fn gbdt_round_trip_gives_bit_identical_predictions_and_explanations() {
    let (model, data) = gbdt();
    let bytes = to_bytes(|b| model.save(b));
    let loaded = Gbdt::load(bytes.as_slice()).unwrap();
    assert_eq!(loaded, model);
    let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
    assert_eq!(
        bits(loaded.raw_scores(&data)),
        bits(model.raw_scores(&data))
    );
    let mut row = Vec::new();
    data.row_into(17, &mut row);
    assert_eq!(loaded.explain(&row), model.explain(&row));
    assert_eq!(loaded.curves(), model.curves());
    assert_eq!(
        to_bytes(|b| loaded.save(b)),
        bytes,
        "saving again gives the same file"
    );
}

#[test]
fn forest_round_trip_gives_bit_identical_predictions() {
    let data = fraud_like(3_000, 5, 2);
    let forest = Forest::fit(
        &data,
        &ForestParams {
            n_trees: 5,
            ..ForestParams::default()
        },
    )
    .unwrap();
    let loaded = Forest::load(to_bytes(|b| forest.save(b)).as_slice()).unwrap();
    assert_eq!(loaded, forest);
    let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
    assert_eq!(
        bits(loaded.raw_scores(&data)),
        bits(forest.raw_scores(&data))
    );
}

fn refused(bytes: &[u8]) -> bool {
    matches!(Gbdt::load(bytes), Err(ModelError::Decode { .. }))
}

#[test]
fn garbage_and_truncated_files_are_decode_errors() {
    let (model, _) = gbdt();
    let bytes = to_bytes(|b| model.save(b));
    assert!(refused(b""));
    assert!(refused(b"\x00\xff garbage"));
    assert!(refused(b"{\"format\": \"vigie-gbdt/1\"}"));
    let step = (bytes.len() / 300).max(1);
    for len in (0..bytes.len()).step_by(step) {
        assert!(refused(&bytes[..len]), "prefix of {len} bytes accepted");
    }
    let forest_bytes = to_bytes(|b| {
        Forest::fit(
            &fraud_like(500, 5, 3),
            &ForestParams {
                n_trees: 2,
                ..ForestParams::default()
            },
        )
        .unwrap()
        .save(b)
    });
    assert!(matches!(
        Gbdt::load(forest_bytes.as_slice()),
        Err(ModelError::Decode { .. })
    ));
    assert!(matches!(
        Forest::load(bytes.as_slice()),
        Err(ModelError::Decode { .. })
    ));
}

/// The saved model with `edit` applied to its first tree that has nodes.
fn edited(model: &Gbdt, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&to_bytes(|b| model.save(b))).unwrap();
    let trees = v["ensemble"]["trees"].as_array_mut().unwrap();
    let tree = trees
        .iter_mut()
        .find(|t| t["nodes"].as_array().unwrap().len() >= 3)
        .unwrap();
    edit(tree);
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn corrupted_trees_are_refused() {
    let (model, _) = gbdt();
    type Edit = Box<dyn FnOnce(&mut Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "cycle back to the root",
            Box::new(|t| t["nodes"][1]["left"] = json!({"node": 0})),
        ),
        (
            "self loop",
            Box::new(|t| t["nodes"][2]["right"] = json!({"node": 2})),
        ),
        (
            "child out of range",
            Box::new(|t| t["nodes"][0]["left"] = json!({"node": 100_000})),
        ),
        (
            "leaf out of range",
            Box::new(|t| t["nodes"][0]["right"] = json!({"leaf": 100_000})),
        ),
        (
            "feature out of range",
            Box::new(|t| t["nodes"][0]["feature"] = json!(6)),
        ),
        (
            "missing leaf",
            Box::new(|t| drop(t["leaves"].as_array_mut().unwrap().pop())),
        ),
        (
            "negative cover",
            Box::new(|t| t["leaves"][0]["cover"] = json!(-1.0)),
        ),
        (
            "threshold not an f32",
            Box::new(|t| {
                let node = t["nodes"]
                    .as_array_mut()
                    .unwrap()
                    .iter_mut()
                    .find(|n| n["rule"]["kind"] == "numeric")
                    .unwrap();
                node["rule"]["threshold"] = json!(0.1);
            }),
        ),
        ("unknown field", Box::new(|t| t["extra"] = json!(1))),
    ];
    for (what, edit) in cases {
        assert!(refused(&edited(&model, edit)), "{what} accepted");
    }
    let mut v: Value = serde_json::from_slice(&to_bytes(|b| model.save(b))).unwrap();
    v["format"] = json!("vigie-gbdt/999");
    assert!(
        refused(&serde_json::to_vec(&v).unwrap()),
        "future format accepted"
    );
    assert!(
        !refused(&edited(&model, |_| ())),
        "an untouched model loads"
    );
}
