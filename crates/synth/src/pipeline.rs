//! Parallel generation, ordered output.
//!
//! Days are dealt round-robin to worker threads. A worker generates a whole
//! day, then waits for its turn in a chain that hands out the index of the
//! day's first row (the previous day's first index plus its row count), then
//! formats the day into byte chunks and sends them on its own bounded
//! channel. The calling thread reads the channels in day order and writes.
//! Memory stays bounded: each worker holds at most one day of transactions
//! plus a few formatted chunks in flight.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Condvar, Mutex, PoisonError};

use vigie_ingest::kaggle::{KaggleRow, KaggleWriter, write_row};
use vigie_types::{Amount, FraudScenario, GeoPoint, Label, TransNum};

use crate::day::{Txn, World, generate_day};
use crate::error::{Result, SynthError, invalid};
use crate::profiles::expected_rate;

/// Rows per formatted chunk (about 2.5 MB of text).
const CHUNK_ROWS: usize = 8192;
/// Bounds of the chunks a worker may have in flight before it waits for the
/// writer. Within them, a worker may run about two days ahead: days are
/// written in order, so a worker that finishes a day while the other is still
/// formatting the previous one must be able to park it.
const CHANNEL_DEPTH: (usize, usize) = (4, 128);
/// Most worker threads used.
const MAX_WORKERS: usize = 16;

/// Rows of one scenario, indexed by `FraudScenario as usize`.
pub(crate) type ScenarioCounts = [u64; 4];

/// A formatted piece of one day.
struct Chunk {
    bytes: Vec<u8>,
    rows: u64,
    frauds: ScenarioCounts,
    /// Whether this is the day's last chunk.
    last: bool,
}

/// What was written.
#[derive(Debug, Default)]
pub(crate) struct Written {
    pub rows: u64,
    pub frauds: ScenarioCounts,
}

/// Hands out the first row index of each day, in day order.
struct Chain {
    /// (next day to be numbered, its first row index).
    state: Mutex<(u32, u64)>,
    turn: Condvar,
    abort: AtomicBool,
}

impl Chain {
    /// Waits until `day` is next, then numbers its `rows` rows. `None` when
    /// the run was stopped.
    fn take_turn(&self, day: u32, rows: u64) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while state.0 != day {
            if self.stopped() {
                return None;
            }
            state = self
                .turn
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        let first = state.1;
        *state = (day + 1, first + rows);
        self.turn.notify_all();
        Some(first)
    }

    fn stopped(&self) -> bool {
        self.abort.load(Ordering::Acquire)
    }

    fn stop(&self) {
        self.abort.store(true, Ordering::Release);
        let _guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.turn.notify_all();
    }
}

/// The writer's ends of one worker's channels: formatted chunks in, spent
/// buffers back.
type WorkerLink = (Receiver<Result<Chunk>>, Sender<Vec<u8>>);

/// Settings a worker needs.
#[derive(Clone, Copy)]
struct Job {
    with_scenario: bool,
    max_rows: Option<u64>,
}

/// Formats `txns` (rows of day index `day`, the first numbered `first_index`).
fn format_rows(
    world: &World,
    day: u32,
    txns: &[Txn],
    first_index: u64,
    with_scenario: bool,
    out: &mut Vec<u8>,
    frauds: &mut ScenarioCounts,
) -> Result<()> {
    let midnight = world.calendar.date(day).at_midnight();
    for (i, t) in txns.iter().enumerate() {
        let c = &world.customers[t.customer()];
        let event_time = midnight.add_seconds(i64::from(t.second()));
        if let Some(s) = t.scenario {
            frauds[s as usize] += 1;
        }
        let row = KaggleRow {
            index: first_index + i as u64,
            event_time,
            card_number: &c.card,
            merchant: world.merchants.name(t.merchant),
            category: t.category,
            amount: Amount::from_cents(t.cents).map_err(invalid("amount"))?,
            first: c.first,
            last: c.last,
            gender: c.gender,
            street: &c.street,
            city: &c.city,
            state: c.state,
            zip: c.zip,
            home: c.home,
            city_pop: c.city_pop,
            job: c.job,
            birth_date: c.birth_date,
            trans_num: TransNum::from_u128(t.trans_num),
            unix_time: event_time.seconds(),
            merchant_location: GeoPoint::new(t.lat, t.lon).map_err(invalid("merchant location"))?,
            label: if t.scenario.is_some() {
                Label::Fraud
            } else {
                Label::Legit
            },
            scenario: t.scenario,
        };
        write_row(out, &row, with_scenario);
    }
    Ok(())
}

/// Generates days `first`, `first + step`, ... and sends them formatted.
fn worker(
    world: &World,
    job: Job,
    chain: &Chain,
    (first, step): (u32, u32),
    tx: &SyncSender<Result<Chunk>>,
    recycled: &Receiver<Vec<u8>>,
) {
    let days = world.calendar.days();
    let mut day = first;
    while day < days && !chain.stopped() {
        let txns = generate_day(world, day);
        let Some(start) = chain.take_turn(day, txns.len() as u64) else {
            return;
        };
        let keep = match job.max_rows {
            Some(max) => max.saturating_sub(start).min(txns.len() as u64) as usize,
            None => txns.len(),
        };
        let pieces: Vec<&[Txn]> = if keep == 0 {
            vec![&[]]
        } else {
            txns[..keep].chunks(CHUNK_ROWS).collect()
        };
        let count = pieces.len();
        let mut index = start;
        for (k, piece) in pieces.into_iter().enumerate() {
            let mut bytes = recycled.try_recv().unwrap_or_default();
            bytes.clear();
            let mut frauds = ScenarioCounts::default();
            let formatted = format_rows(
                world,
                day,
                piece,
                index,
                job.with_scenario,
                &mut bytes,
                &mut frauds,
            );
            let message = formatted.map(|()| Chunk {
                bytes,
                rows: piece.len() as u64,
                frauds,
                last: k + 1 == count,
            });
            let failed = message.is_err();
            if tx.send(message).is_err() || failed {
                chain.stop();
                return;
            }
            index += piece.len() as u64;
        }
        if job
            .max_rows
            .is_some_and(|max| start + txns.len() as u64 >= max)
        {
            return;
        }
        day += step;
    }
}

/// Reads the workers' chunks in day order and writes them.
fn write_in_order<W: Write>(
    world: &World,
    job: Job,
    out: W,
    channels: Vec<WorkerLink>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Written> {
    let mut writer = KaggleWriter::new(out, job.with_scenario);
    let mut written = Written::default();
    'days: for day in 0..world.calendar.days() as usize {
        let (rx, recycle) = &channels[day % channels.len()];
        loop {
            if job.max_rows == Some(written.rows) {
                break 'days;
            }
            let chunk = match rx.recv() {
                Ok(Ok(chunk)) => chunk,
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(SynthError::WorkerStopped),
            };
            writer.write_formatted(&chunk.bytes)?;
            written.rows += chunk.rows;
            for (total, n) in written.frauds.iter_mut().zip(chunk.frauds) {
                *total += n;
            }
            progress(written.rows);
            // The worker may have finished; then the buffer is simply dropped.
            let _ = recycle.send(chunk.bytes);
            if chunk.last {
                break;
            }
        }
    }
    writer.finish()?;
    Ok(written)
}

/// Generates every day of `world` and writes the rows to `out`.
pub(crate) fn run<W: Write + Send>(
    world: &World,
    with_scenario: bool,
    max_rows: Option<u64>,
    out: W,
    progress: &(dyn Fn(u64) + Sync),
    workers: usize,
) -> Result<Written> {
    let job = Job {
        with_scenario,
        max_rows,
    };
    let days = world.calendar.days();
    let workers = workers.clamp(1, MAX_WORKERS).min(days.max(1) as usize);
    let busiest_day = world.calendar.factors.iter().copied().fold(1.0, f64::max);
    let rows_per_day = world.customers.len() as f64 * expected_rate() * busiest_day * 1.2;
    let depth = ((rows_per_day / CHUNK_ROWS as f64).ceil() as usize + 2)
        .clamp(CHANNEL_DEPTH.0, CHANNEL_DEPTH.1);
    let chain = Chain {
        state: Mutex::new((0, 0)),
        turn: Condvar::new(),
        abort: AtomicBool::new(false),
    };
    std::thread::scope(|scope| {
        let mut channels = Vec::with_capacity(workers);
        for w in 0..workers {
            let (tx, rx) = mpsc::sync_channel(depth);
            let (recycle, recycled) = mpsc::channel();
            channels.push((rx, recycle));
            let chain = &chain;
            scope.spawn(move || {
                worker(
                    world,
                    job,
                    chain,
                    (w as u32, workers as u32),
                    &tx,
                    &recycled,
                );
            });
        }
        let result = write_in_order(world, job, out, channels, progress);
        // Receivers are gone: blocked senders wake up; waiting workers stop.
        chain.stop();
        result
    })
}

/// The scenario of a count slot.
pub(crate) fn scenario_of(slot: usize) -> FraudScenario {
    FraudScenario::ALL[slot]
}
