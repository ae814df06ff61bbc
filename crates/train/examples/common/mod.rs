//! What the timing examples share: a saved model and rows of a feature
//! file, already reduced to the model's features.

use vigie_model::ModelArtifact;

/// Errors of the examples: printed, nothing more.
pub type AnyError = Box<dyn std::error::Error>;

/// A model and rows of its features.
pub type ModelAndRows = (ModelArtifact, Vec<Vec<f32>>);

/// The artifact at `model` and about `count` rows spread evenly over the
/// feature file at `features`, each holding the model's features.
pub fn model_and_rows(model: &str, features: &str, count: usize) -> Result<ModelAndRows, AnyError> {
    let artifact = ModelArtifact::decode(&std::fs::read(model)?, None)?;
    let table = vigie_features::FeatureTable::read(std::path::Path::new(features))?;
    let mut full = vec![0f32; table.features.len()];
    let rows = (0..table.len())
        .step_by((table.len() / count.max(1)).max(1))
        .take(count)
        .map(|i| {
            for (f, column) in table.features.iter().enumerate() {
                full[f] = column[i];
            }
            let mut row = Vec::new();
            artifact.select(&full, &mut row);
            row
        })
        .collect();
    Ok((artifact, rows))
}
