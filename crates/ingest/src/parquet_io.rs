//! The ingested-transactions Parquet file: written by `vigie ingest`, read by
//! the feature engine and by anyone's tools (pandas, DuckDB, Spark...).
//!
//! Columns use standard Parquet types: strings, `TIMESTAMP(MICROS, false)`
//! for the zone-less event time, `DATE` for the birth date, `INT64` cents for
//! the amount (exact), doubles for coordinates, a nullable `INT32` label.
//! The file's key-value metadata names the schema version and the key version
//! of the card tokens.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::column::reader::get_typed_column_reader;
use parquet::data_type::{ByteArray, ByteArrayType, DataType, DoubleType, Int32Type, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::{SerializedColumnWriter, SerializedFileWriter};
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;
use vigie_types::{
    Amount, CardMap, CardToken, Category, Date, FraudScenario, Gender, GeoPoint, Label,
    LabeledTransaction, Last4, Timestamp, TransNum, Transaction,
};

use crate::error::{IngestError, Result};
use crate::reader::Accepted;

/// Schema identifier stored in the file metadata under `vigie.schema`.
pub const SCHEMA_VERSION: &str = "vigie.transactions.v1";

const SCHEMA: &str = "message vigie_transaction {
  required binary trans_num (STRING);
  required int64 event_time (TIMESTAMP(MICROS,false));
  required binary card_token (STRING);
  required binary card_last4 (STRING);
  required binary merchant (STRING);
  required binary category (STRING);
  required int64 amount_cents;
  required binary gender (STRING);
  required int32 birth_date (DATE);
  required int32 city_pop;
  required double home_lat;
  required double home_long;
  required double merch_lat;
  required double merch_long;
  optional int32 is_fraud;
  optional binary fraud_scenario (STRING);
  required int64 source_line;
}";

/// Rows per row group: large enough for good compression, small enough that
/// the writer's buffers stay around 30 MB.
const ROW_GROUP_ROWS: usize = 1 << 17;

/// Text values that repeat across rows (a card's token and last four digits,
/// a merchant's name), encoded once: a file has far fewer cards and merchants
/// than rows.
#[derive(Default)]
struct TextCache {
    cards: CardMap<(ByteArray, ByteArray)>,
    /// Randomly seeded foldhash: the names come from the input.
    merchants: HashMap<Arc<str>, ByteArray, foldhash::fast::RandomState>,
}

impl TextCache {
    const MAX: usize = 1 << 20;

    fn card(&mut self, token: CardToken, last4: Last4) -> (ByteArray, ByteArray) {
        if let Some(texts) = self.cards.get(&token) {
            return texts.clone();
        }
        let mut text = Vec::with_capacity(CardToken::TEXT_LEN);
        token.write_to(&mut text);
        let texts = (
            ByteArray::from(text),
            ByteArray::from(last4.as_bytes().to_vec()),
        );
        if self.cards.len() >= Self::MAX {
            self.cards.clear();
        }
        self.cards.insert(token, texts.clone());
        texts
    }

    fn merchant(&mut self, name: &Arc<str>) -> ByteArray {
        if let Some(text) = self.merchants.get(name) {
            return text.clone();
        }
        let text = ByteArray::from(name.as_bytes().to_vec());
        if self.merchants.len() >= Self::MAX {
            self.merchants.clear();
        }
        self.merchants.insert(Arc::clone(name), text.clone());
        text
    }
}

/// The constant texts of closed sets, encoded once.
struct Constants {
    categories: Vec<ByteArray>,
    female: ByteArray,
    male: ByteArray,
    scenarios: Vec<ByteArray>,
}

impl Default for Constants {
    fn default() -> Self {
        Self {
            categories: Category::ALL
                .iter()
                .map(|c| ByteArray::from(c.as_str()))
                .collect(),
            female: ByteArray::from(Gender::Female.as_str()),
            male: ByteArray::from(Gender::Male.as_str()),
            scenarios: FraudScenario::ALL
                .iter()
                .map(|s| ByteArray::from(s.as_str()))
                .collect(),
        }
    }
}

#[derive(Default)]
struct Columns {
    trans_num: Vec<ByteArray>,
    event_time: Vec<i64>,
    card_token: Vec<ByteArray>,
    card_last4: Vec<ByteArray>,
    merchant: Vec<ByteArray>,
    category: Vec<ByteArray>,
    amount_cents: Vec<i64>,
    gender: Vec<ByteArray>,
    birth_date: Vec<i32>,
    city_pop: Vec<i32>,
    home_lat: Vec<f64>,
    home_long: Vec<f64>,
    merch_lat: Vec<f64>,
    merch_long: Vec<f64>,
    label: Vec<i32>,
    label_def: Vec<i16>,
    scenario: Vec<ByteArray>,
    scenario_def: Vec<i16>,
    source_line: Vec<i64>,
}

impl Columns {
    fn len(&self) -> usize {
        self.event_time.len()
    }

    fn push(&mut self, row: &Accepted, cache: &mut TextCache, constants: &Constants) {
        let t = &row.txn.txn;
        let mut id = Vec::with_capacity(32);
        t.trans_num.write_to(&mut id);
        self.trans_num.push(ByteArray::from(id));
        let (token, last4) = cache.card(t.card, t.card_last4);
        self.card_token.push(token);
        self.card_last4.push(last4);
        self.event_time.push(t.event_time.micros());
        self.merchant.push(cache.merchant(&t.merchant));
        self.category
            .push(constants.categories[t.category.index()].clone());
        self.amount_cents.push(t.amount.cents());
        self.gender.push(match t.gender {
            Gender::Female => constants.female.clone(),
            Gender::Male => constants.male.clone(),
        });
        self.birth_date.push(t.birth_date.days_since_epoch());
        self.city_pop.push(t.city_pop as i32);
        self.home_lat.push(t.home.lat());
        self.home_long.push(t.home.lon());
        self.merch_lat.push(t.merchant_location.lat());
        self.merch_long.push(t.merchant_location.lon());
        match row.txn.label {
            Some(label) => {
                self.label.push(i32::from(label.as_u8()));
                self.label_def.push(1);
            }
            None => self.label_def.push(0),
        }
        match row.txn.scenario {
            Some(s) => {
                let index = FraudScenario::ALL
                    .iter()
                    .position(|x| *x == s)
                    .unwrap_or_default();
                self.scenario.push(constants.scenarios[index].clone());
                self.scenario_def.push(1);
            }
            None => self.scenario_def.push(0),
        }
        self.source_line.push(row.line as i64);
    }
}

/// Writes accepted transactions to a Parquet file, a row group at a time.
pub struct TransactionWriter {
    writer: SerializedFileWriter<File>,
    columns: Columns,
    cache: TextCache,
    constants: Constants,
    path: PathBuf,
    rows: u64,
}

fn write_column<T: DataType>(
    col: &mut SerializedColumnWriter<'_>,
    values: &[T::T],
    def: Option<&[i16]>,
) -> std::result::Result<(), ParquetError> {
    col.typed::<T>().write_batch(values, def, None)?;
    Ok(())
}

impl TransactionWriter {
    /// Creates `path` (truncating it). `metadata` is added to the file's
    /// key-value metadata beside the schema version.
    pub fn create(path: &Path, metadata: &[(&str, String)]) -> Result<Self> {
        let pq = |source| IngestError::Parquet {
            path: path.to_path_buf(),
            source,
        };
        let file = File::create(path).map_err(|source| IngestError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        let schema = Arc::new(parse_message_type(SCHEMA).map_err(pq)?);
        let mut kv = vec![KeyValue::new(
            "vigie.schema".into(),
            SCHEMA_VERSION.to_string(),
        )];
        kv.extend(
            metadata
                .iter()
                .map(|(k, v)| KeyValue::new((*k).into(), v.clone())),
        );
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_key_value_metadata(Some(kv))
            .set_created_by(format!("vigie {}", env!("CARGO_PKG_VERSION")))
            // Unique per row: a dictionary would only cost time and space.
            .set_column_dictionary_enabled(ColumnPath::from("trans_num"), false)
            .set_column_dictionary_enabled(ColumnPath::from("source_line"), false)
            .build();
        let writer = SerializedFileWriter::new(file, schema, Arc::new(props)).map_err(pq)?;
        Ok(Self {
            writer,
            columns: Columns::default(),
            cache: TextCache::default(),
            constants: Constants::default(),
            path: path.to_path_buf(),
            rows: 0,
        })
    }

    /// Appends rows, flushing full row groups.
    pub fn write(&mut self, rows: &[Accepted]) -> Result<()> {
        for row in rows {
            self.columns.push(row, &mut self.cache, &self.constants);
            if self.columns.len() >= ROW_GROUP_ROWS {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.columns.len() == 0 {
            return Ok(());
        }
        let c = std::mem::take(&mut self.columns);
        self.rows += c.len() as u64;
        self.write_row_group(&c)
            .map_err(|source| IngestError::Parquet {
                path: self.path.clone(),
                source,
            })
    }

    fn write_row_group(&mut self, c: &Columns) -> std::result::Result<(), ParquetError> {
        let mut rg = self.writer.next_row_group()?;
        let mut index = 0;
        while let Some(mut col) = rg.next_column()? {
            match index {
                0 => write_column::<ByteArrayType>(&mut col, &c.trans_num, None)?,
                1 => write_column::<Int64Type>(&mut col, &c.event_time, None)?,
                2 => write_column::<ByteArrayType>(&mut col, &c.card_token, None)?,
                3 => write_column::<ByteArrayType>(&mut col, &c.card_last4, None)?,
                4 => write_column::<ByteArrayType>(&mut col, &c.merchant, None)?,
                5 => write_column::<ByteArrayType>(&mut col, &c.category, None)?,
                6 => write_column::<Int64Type>(&mut col, &c.amount_cents, None)?,
                7 => write_column::<ByteArrayType>(&mut col, &c.gender, None)?,
                8 => write_column::<Int32Type>(&mut col, &c.birth_date, None)?,
                9 => write_column::<Int32Type>(&mut col, &c.city_pop, None)?,
                10 => write_column::<DoubleType>(&mut col, &c.home_lat, None)?,
                11 => write_column::<DoubleType>(&mut col, &c.home_long, None)?,
                12 => write_column::<DoubleType>(&mut col, &c.merch_lat, None)?,
                13 => write_column::<DoubleType>(&mut col, &c.merch_long, None)?,
                14 => write_column::<Int32Type>(&mut col, &c.label, Some(&c.label_def))?,
                15 => write_column::<ByteArrayType>(&mut col, &c.scenario, Some(&c.scenario_def))?,
                16 => write_column::<Int64Type>(&mut col, &c.source_line, None)?,
                _ => return Err(ParquetError::General("more columns than the schema".into())),
            }
            col.close()?;
            index += 1;
        }
        rg.close()?;
        Ok(())
    }

    /// Writes the last row group and the footer; returns the rows written.
    pub fn finish(mut self) -> Result<u64> {
        self.flush()?;
        self.writer.close().map_err(|source| IngestError::Parquet {
            path: self.path.clone(),
            source,
        })?;
        Ok(self.rows)
    }
}

fn read_column<T: DataType>(
    rg: &dyn parquet::file::reader::RowGroupReader,
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

fn text(value: &ByteArray) -> std::result::Result<&str, ParquetError> {
    value
        .as_utf8()
        .map_err(|_| ParquetError::General("invalid UTF-8 in a string column".into()))
}

fn checked<T>(
    value: std::result::Result<T, vigie_types::ValueError>,
) -> std::result::Result<T, ParquetError> {
    value.map_err(|e| ParquetError::General(format!("invalid value: {e}")))
}

/// Reads an ingested file, calling `on_batch` once per row group, in order.
/// Every value is checked again on the way in (the file may come from elsewhere).
pub fn read_transactions(
    path: &Path,
    on_batch: &mut dyn FnMut(Vec<Accepted>) -> Result<()>,
) -> Result<u64> {
    let pq = |source| IngestError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(|source| IngestError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let reader = SerializedFileReader::new(file).map_err(pq)?;
    let schema = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| {
            kv.iter()
                .find(|e| e.key == "vigie.schema")
                .and_then(|e| e.value.clone())
        });
    if schema.as_deref() != Some(SCHEMA_VERSION) {
        return Err(pq(ParquetError::General(format!(
            "not a Vigie transactions file (schema {schema:?}, expected {SCHEMA_VERSION})"
        ))));
    }
    let mut total = 0;
    for i in 0..reader.num_row_groups() {
        let rg = reader.get_row_group(i).map_err(pq)?;
        let batch = decode_row_group(rg.as_ref()).map_err(pq)?;
        total += batch.len() as u64;
        on_batch(batch)?;
    }
    Ok(total)
}

fn decode_row_group(
    rg: &dyn parquet::file::reader::RowGroupReader,
) -> std::result::Result<Vec<Accepted>, ParquetError> {
    let n = rg.metadata().num_rows() as usize;
    let trans_num = read_column::<ByteArrayType>(rg, 0, n, None)?;
    let event_time = read_column::<Int64Type>(rg, 1, n, None)?;
    let card_token = read_column::<ByteArrayType>(rg, 2, n, None)?;
    let card_last4 = read_column::<ByteArrayType>(rg, 3, n, None)?;
    let merchant = read_column::<ByteArrayType>(rg, 4, n, None)?;
    let category = read_column::<ByteArrayType>(rg, 5, n, None)?;
    let amount = read_column::<Int64Type>(rg, 6, n, None)?;
    let gender = read_column::<ByteArrayType>(rg, 7, n, None)?;
    let birth = read_column::<Int32Type>(rg, 8, n, None)?;
    let city_pop = read_column::<Int32Type>(rg, 9, n, None)?;
    let coords: Vec<Vec<f64>> = (10..14)
        .map(|i| read_column::<DoubleType>(rg, i, n, None))
        .collect::<std::result::Result<_, _>>()?;
    let mut label_def = Vec::new();
    let labels = read_column::<Int32Type>(rg, 14, n, Some(&mut label_def))?;
    let mut scenario_def = Vec::new();
    let scenarios = read_column::<ByteArrayType>(rg, 15, n, Some(&mut scenario_def))?;
    let lines = read_column::<Int64Type>(rg, 16, n, None)?;

    let (mut labels, mut scenarios) = (labels.into_iter(), scenarios.into_iter());
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let label = if label_def[i] == 1 {
            let v = labels.next().unwrap_or_default();
            Some(checked(Label::parse(v.to_string().as_bytes()))?)
        } else {
            None
        };
        let scenario = if scenario_def[i] == 1 {
            let v = scenarios.next().unwrap_or_default();
            Some(checked(FraudScenario::parse(v.data()))?)
        } else {
            None
        };
        let txn = Transaction {
            trans_num: checked(TransNum::parse(trans_num[i].data()))?,
            event_time: Timestamp::from_seconds(event_time[i].div_euclid(1_000_000)),
            card: checked(CardToken::parse(card_token[i].data()))?,
            card_last4: checked(Last4::parse(card_last4[i].data()))?,
            merchant: Arc::from(text(&merchant[i])?),
            category: checked(Category::parse(category[i].data()))?,
            amount: checked(Amount::from_cents(amount[i]))?,
            gender: checked(Gender::parse(gender[i].data()))?,
            birth_date: Date::from_days_since_epoch(birth[i]),
            city_pop: u32::try_from(city_pop[i])
                .map_err(|_| ParquetError::General("negative city_pop".into()))?,
            home: checked(GeoPoint::new(coords[0][i], coords[1][i]))?,
            merchant_location: checked(GeoPoint::new(coords[2][i], coords[3][i]))?,
        };
        out.push(Accepted {
            line: lines[i] as u64,
            txn: LabeledTransaction {
                txn,
                label,
                scenario,
            },
        });
    }
    Ok(out)
}
