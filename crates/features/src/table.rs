//! The offline feature store: one Parquet row per transaction with its id,
//! time, card token, amount, label (when known) and every feature, in
//! standard types (`FLOAT` features) that any tool reads. The file's
//! metadata carries the feature schema (version, names, hash); readers
//! refuse a file whose schema is not this build's.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::column::reader::get_typed_column_reader;
use parquet::data_type::{ByteArray, ByteArrayType, DataType, FloatType, Int32Type, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, RowGroupReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;
use vigie_types::{
    CardMap, CardToken, FeatureSchema, FraudScenario, Label, Timestamp, TransNum, ValueError,
};

use crate::catalogue::{FEATURE_COUNT, Feature as F, feature_schema};
use crate::error::{FeatureError, Result};
use crate::replay::FeatureRow;

/// Identifies the file layout in the metadata under `vigie.schema`.
pub const TABLE_FORMAT: &str = "vigie.features.v1";

const ROW_GROUP_ROWS: usize = 1 << 17;
const BASE_COLUMNS: usize = 6;

/// Features whose values are continuous: Snappy saved at most 5 % of their
/// bytes on sparkov7_train (and 10 % on the hex `trans_num`) for about a
/// quarter of the writer's time, so these columns are stored uncompressed
/// (`bench/parquet_column_sizes.py`, docs/benchmarks.md).
/// Counts, flags and codes repeat and keep Snappy (2x to 20x smaller).
const INCOMPRESSIBLE: [F; 17] = [
    F::Amount,
    F::LogAmount,
    F::HomeMerchantKm,
    F::AmountSum24h,
    F::AmountSum7d,
    F::AmountSum30d,
    F::SecondsSincePrev,
    F::AmountToCardMean,
    F::AmountCardZscore,
    F::AmountToCategoryMean,
    F::AmountCategoryZscore,
    F::AmountToMax30d,
    F::PrevMerchantKm,
    F::SpeedFromPrevKmh,
    F::CardSeenDays,
    F::Count24hToDailyMean,
    F::CardNightShare,
];

fn message_type(schema: &FeatureSchema) -> String {
    let mut m = String::from(
        "message vigie_features {
  required binary trans_num (STRING);
  required int64 event_time (TIMESTAMP(MICROS,false));
  required binary card_token (STRING);
  required int64 amount_cents;
  optional int32 is_fraud;
  optional binary fraud_scenario (STRING);
",
    );
    for name in &schema.names {
        m.push_str(&format!("  required float {name};\n"));
    }
    m.push('}');
    m
}

/// One row group's values, column by column. `trans_num`s are written as
/// text into one buffer, [`TransNum::TEXT_LEN`] bytes each (one allocation
/// per row group, not per row), and cut into values at flush.
#[derive(Default)]
struct Columns {
    trans_num_text: Vec<u8>,
    event_time: Vec<i64>,
    card: Vec<ByteArray>,
    amount_cents: Vec<i64>,
    label: Vec<i32>,
    label_def: Vec<i16>,
    scenario: Vec<ByteArray>,
    scenario_def: Vec<i16>,
    features: Vec<Vec<f32>>,
}

/// Writes feature rows to a Parquet file, a row group at a time.
pub struct FeatureWriter {
    writer: SerializedFileWriter<File>,
    columns: Columns,
    cards: CardMap<ByteArray>,
    path: PathBuf,
    rows: u64,
}

impl Columns {
    fn with_capacity(rows: usize) -> Self {
        Self {
            trans_num_text: Vec::with_capacity(rows * TransNum::TEXT_LEN),
            event_time: Vec::with_capacity(rows),
            card: Vec::with_capacity(rows),
            amount_cents: Vec::with_capacity(rows),
            label: Vec::with_capacity(rows),
            label_def: Vec::with_capacity(rows),
            scenario: Vec::new(),
            scenario_def: Vec::with_capacity(rows),
            features: (0..FEATURE_COUNT)
                .map(|_| Vec::with_capacity(rows))
                .collect(),
        }
    }

    /// Empties every column, keeping the buffers.
    fn clear(&mut self) {
        self.trans_num_text.clear();
        self.event_time.clear();
        self.card.clear();
        self.amount_cents.clear();
        self.label.clear();
        self.label_def.clear();
        self.scenario.clear();
        self.scenario_def.clear();
        self.features.iter_mut().for_each(Vec::clear);
    }

    /// The `trans_num` values, sharing the text buffer (which starts anew).
    fn trans_nums(&mut self) -> Vec<ByteArray> {
        let capacity = self.trans_num_text.capacity();
        let text = bytes::Bytes::from(std::mem::replace(
            &mut self.trans_num_text,
            Vec::with_capacity(capacity),
        ));
        (0..text.len())
            .step_by(TransNum::TEXT_LEN)
            .map(|start| ByteArray::from(text.slice(start..start + TransNum::TEXT_LEN)))
            .collect()
    }
}

impl FeatureWriter {
    /// Creates `path`. `metadata` is added to the file's key-value metadata
    /// beside the format and the feature schema.
    pub fn create(path: &Path, metadata: &[(&str, String)]) -> Result<Self> {
        let pq = |source| FeatureError::Parquet {
            path: path.to_path_buf(),
            source,
        };
        let schema = feature_schema();
        let file = File::create(path).map_err(|source| FeatureError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let message = Arc::new(parse_message_type(&message_type(schema)).map_err(pq)?);
        let mut kv = vec![
            KeyValue::new("vigie.schema".into(), TABLE_FORMAT.to_string()),
            KeyValue::new("vigie.feature_schema_hash".into(), schema.hash.clone()),
            KeyValue::new(
                "vigie.feature_schema_version".into(),
                schema.version.to_string(),
            ),
        ];
        kv.extend(
            metadata
                .iter()
                .map(|(k, v)| KeyValue::new((*k).into(), v.clone())),
        );
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_key_value_metadata(Some(kv))
            .set_created_by(format!("vigie {}", env!("CARGO_PKG_VERSION")))
            // Feature values are mostly distinct floats: a dictionary would only
            // cost time. Cards and scenarios repeat: those keep one.
            .set_dictionary_enabled(false)
            .set_column_dictionary_enabled(ColumnPath::from("card_token"), true)
            .set_column_dictionary_enabled(ColumnPath::from("fraud_scenario"), true);
        let props = INCOMPRESSIBLE
            .iter()
            .map(|f| f.name())
            .chain(["trans_num"])
            .fold(props, |props, column| {
                props.set_column_compression(ColumnPath::from(column), Compression::UNCOMPRESSED)
            })
            .build();
        let writer = SerializedFileWriter::new(file, message, Arc::new(props)).map_err(pq)?;
        Ok(Self {
            writer,
            columns: Columns::with_capacity(ROW_GROUP_ROWS),
            cards: CardMap::default(),
            path: path.to_path_buf(),
            rows: 0,
        })
    }

    /// Appends rows, flushing full row groups.
    pub fn write(&mut self, rows: &[FeatureRow]) -> Result<()> {
        for row in rows {
            self.push(row);
            if self.columns.event_time.len() >= ROW_GROUP_ROWS {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn push(&mut self, row: &FeatureRow) {
        let c = &mut self.columns;
        let t = &row.txn.txn;
        t.trans_num.write_to(&mut c.trans_num_text);
        c.event_time.push(t.event_time.micros());
        let card = self.cards.entry(t.card).or_insert_with(|| {
            let mut text = Vec::with_capacity(CardToken::TEXT_LEN);
            t.card.write_to(&mut text);
            ByteArray::from(text)
        });
        c.card.push(card.clone());
        c.amount_cents.push(t.amount.cents());
        match row.txn.label {
            Some(label) => {
                c.label.push(i32::from(label.as_u8()));
                c.label_def.push(1);
            }
            None => c.label_def.push(0),
        }
        match row.txn.scenario {
            Some(s) => {
                c.scenario.push(ByteArray::from(s.as_str()));
                c.scenario_def.push(1);
            }
            None => c.scenario_def.push(0),
        }
        for (column, value) in c.features.iter_mut().zip(row.features.as_slice()) {
            column.push(*value);
        }
    }

    fn flush(&mut self) -> Result<()> {
        if self.columns.event_time.is_empty() {
            return Ok(());
        }
        // The buffers are reused from one row group to the next: fresh ones
        // cost page faults on every group.
        let mut columns = std::mem::take(&mut self.columns);
        self.rows += columns.event_time.len() as u64;
        if self.cards.len() > 1 << 20 {
            self.cards.clear();
        }
        let written = self.write_row_group(&mut columns);
        columns.clear();
        self.columns = columns;
        written.map_err(|source| FeatureError::Parquet {
            path: self.path.clone(),
            source,
        })
    }

    fn write_row_group(&mut self, c: &mut Columns) -> std::result::Result<(), ParquetError> {
        let trans_nums = c.trans_nums();
        let mut rg = self.writer.next_row_group()?;
        let mut index = 0;
        while let Some(mut col) = rg.next_column()? {
            match index {
                0 => col
                    .typed::<ByteArrayType>()
                    .write_batch(&trans_nums, None, None)?,
                1 => col
                    .typed::<Int64Type>()
                    .write_batch(&c.event_time, None, None)?,
                2 => col
                    .typed::<ByteArrayType>()
                    .write_batch(&c.card, None, None)?,
                3 => col
                    .typed::<Int64Type>()
                    .write_batch(&c.amount_cents, None, None)?,
                4 => col
                    .typed::<Int32Type>()
                    .write_batch(&c.label, Some(&c.label_def), None)?,
                5 => col.typed::<ByteArrayType>().write_batch(
                    &c.scenario,
                    Some(&c.scenario_def),
                    None,
                )?,
                i => {
                    let values = c.features.get(i - BASE_COLUMNS).ok_or_else(|| {
                        ParquetError::General("more columns than the schema".into())
                    })?;
                    col.typed::<FloatType>().write_batch(values, None, None)?
                }
            };
            col.close()?;
            index += 1;
        }
        rg.close()?;
        Ok(())
    }

    /// Writes the last row group and the footer; returns the rows written.
    pub fn finish(mut self) -> Result<u64> {
        self.flush()?;
        self.writer
            .close()
            .map_err(|source| FeatureError::Parquet {
                path: self.path.clone(),
                source,
            })?;
        Ok(self.rows)
    }
}

/// Whether `path` is a feature file written by [`FeatureWriter`] (of any
/// schema), as opposed to a transactions file.
pub fn is_feature_file(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let Ok(reader) = SerializedFileReader::new(file) else {
        return false;
    };
    reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .is_some_and(|kv| {
            kv.iter()
                .any(|e| e.key == "vigie.schema" && e.value.as_deref() == Some(TABLE_FORMAT))
        })
}

/// A feature file in memory, column by column (for training and evaluation).
#[derive(Debug, Clone)]
pub struct FeatureTable {
    /// The schema the file was written with (equal to this build's).
    pub schema: FeatureSchema,
    /// Transaction ids.
    pub trans_num: Vec<TransNum>,
    /// Event times.
    pub event_time: Vec<Timestamp>,
    /// Card tokens.
    pub card: Vec<CardToken>,
    /// Amounts in cents.
    pub amount_cents: Vec<i64>,
    /// Labels, when known.
    pub label: Vec<Option<Label>>,
    /// Fraud scenarios, when known.
    pub scenario: Vec<Option<FraudScenario>>,
    /// One column per feature, in schema order.
    pub features: Vec<Vec<f32>>,
}

impl FeatureTable {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.event_time.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.event_time.is_empty()
    }

    /// Reads a feature file written by [`FeatureWriter`], refusing one of
    /// another schema.
    pub fn read(path: &Path) -> Result<Self> {
        let pq = |source| FeatureError::Parquet {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(|source| FeatureError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let reader = SerializedFileReader::new(file).map_err(pq)?;
        let meta = |key: &str| {
            reader
                .metadata()
                .file_metadata()
                .key_value_metadata()
                .and_then(|kv| kv.iter().find(|e| e.key == key))
                .and_then(|e| e.value.clone())
        };
        let schema = feature_schema();
        let format = meta("vigie.schema");
        let hash = meta("vigie.feature_schema_hash");
        if format.as_deref() != Some(TABLE_FORMAT) || hash.as_deref() != Some(&schema.hash) {
            return Err(FeatureError::NotFeatureFile {
                path: path.to_path_buf(),
                expected: schema.short_hash().to_string(),
                found: format!(
                    "format {}, feature schema {}",
                    format.as_deref().unwrap_or("none"),
                    hash.as_deref().map_or("none", |h| &h[..h.len().min(12)])
                ),
            });
        }
        let rows = reader.metadata().file_metadata().num_rows() as usize;
        let mut table = Self {
            schema: schema.clone(),
            trans_num: Vec::with_capacity(rows),
            event_time: Vec::with_capacity(rows),
            card: Vec::with_capacity(rows),
            amount_cents: Vec::with_capacity(rows),
            label: Vec::with_capacity(rows),
            scenario: Vec::with_capacity(rows),
            features: (0..FEATURE_COUNT)
                .map(|_| Vec::with_capacity(rows))
                .collect(),
        };
        for i in 0..reader.num_row_groups() {
            let rg = reader.get_row_group(i).map_err(pq)?;
            table.append_row_group(rg.as_ref()).map_err(pq)?;
        }
        Ok(table)
    }

    fn append_row_group(
        &mut self,
        rg: &dyn RowGroupReader,
    ) -> std::result::Result<(), ParquetError> {
        let n = rg.metadata().num_rows() as usize;
        let invalid = |e: ValueError| ParquetError::General(format!("invalid value: {e}"));
        for id in read_column::<ByteArrayType>(rg, 0, n, None)? {
            self.trans_num
                .push(TransNum::parse(id.data()).map_err(invalid)?);
        }
        for micros in read_column::<Int64Type>(rg, 1, n, None)? {
            self.event_time
                .push(Timestamp::from_seconds(micros.div_euclid(1_000_000)));
        }
        for card in read_column::<ByteArrayType>(rg, 2, n, None)? {
            self.card
                .push(CardToken::parse(card.data()).map_err(invalid)?);
        }
        self.amount_cents
            .extend(read_column::<Int64Type>(rg, 3, n, None)?);
        let mut def = Vec::new();
        let mut labels = read_column::<Int32Type>(rg, 4, n, Some(&mut def))?.into_iter();
        for &d in &def {
            let value = if d == 1 { labels.next() } else { None };
            self.label.push(match value {
                Some(v) => Some(Label::parse(v.to_string().as_bytes()).map_err(invalid)?),
                None => None,
            });
        }
        let mut scenarios = read_column::<ByteArrayType>(rg, 5, n, Some(&mut def))?.into_iter();
        for &d in &def {
            let value = if d == 1 { scenarios.next() } else { None };
            self.scenario.push(match value {
                Some(v) => Some(FraudScenario::parse(v.data()).map_err(invalid)?),
                None => None,
            });
        }
        for (f, column) in self.features.iter_mut().enumerate() {
            let values = read_column::<FloatType>(rg, BASE_COLUMNS + f, n, None)?;
            if values.iter().any(|v| !v.is_finite()) {
                return Err(ParquetError::General(format!(
                    "feature {} has a non-finite value",
                    feature_schema().names[f]
                )));
            }
            column.extend(values);
        }
        Ok(())
    }
}

fn read_column<T: DataType>(
    rg: &dyn RowGroupReader,
    index: usize,
    rows: usize,
    def: Option<&mut Vec<i16>>,
) -> std::result::Result<Vec<T::T>, ParquetError>
where
    T::T: Default + Clone,
{
    let mut reader = get_typed_column_reader::<T>(rg.get_column_reader(index)?);
    let mut values = Vec::with_capacity(rows);
    let mut levels = Vec::with_capacity(rows);
    let (records, _, _) = reader.read_records(rows, Some(&mut levels), None, &mut values)?;
    if records != rows {
        return Err(ParquetError::General(format!(
            "column {index}: {records} records, expected {rows}"
        )));
    }
    if let Some(def) = def {
        *def = levels;
    }
    Ok(values)
}
