//! A compact, versioned binary encoding of [`CardState`], for state stores
//! (Redis) and snapshots. Little-endian, no padding; decoding checks every
//! field, so a corrupted value is an error, never a panic or a wrong state.
//!
//! Layout (version 1): `u8 version`, `i64 first_seen`, `i64 latest`,
//! `u32 night_total`, the overall accumulator (`u32 n, f64 mean, f64 m2`),
//! `u16` mask of categories present then one accumulator per set bit,
//! `u16` event count then per event `i64 time, u64 id, f32 lat, f32 lon,
//! u32 amount_cents, u32 merchant, u8 category, u8 night`.

use std::collections::VecDeque;

use vigie_types::Category;

use crate::error::{FeatureError, Result};
use crate::state::{CardState, Event, MAX_EVENTS, Welford};

const VERSION: u8 = 1;
const EVENT_BYTES: usize = 34;

fn put_welford(out: &mut Vec<u8>, w: &Welford) {
    out.extend_from_slice(&w.n.to_le_bytes());
    out.extend_from_slice(&w.mean.to_le_bytes());
    out.extend_from_slice(&w.m2.to_le_bytes());
}

/// Encodes a state.
pub fn encode(state: &CardState) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(state, &mut out);
    out
}

/// Bytes of an encoded accumulator.
const WELFORD_BYTES: usize = 20;

/// Appends the encoding of `state` to `out` (after a prefix of the
/// caller's, e.g. a store's write stamp), reserving its exact size once.
pub fn encode_into(state: &CardState, out: &mut Vec<u8>) {
    let categories = state.by_category.iter().filter(|w| w.n > 0).count();
    // version, first_seen, latest, night_total; the overall and category
    // accumulators; the mask and the event count; the events.
    let size =
        1 + 8 + 8 + 4 + WELFORD_BYTES * (1 + categories) + 2 + 2 + EVENT_BYTES * state.recent.len();
    out.reserve(size);
    out.push(VERSION);
    out.extend_from_slice(&state.first_seen.to_le_bytes());
    out.extend_from_slice(&state.latest.to_le_bytes());
    out.extend_from_slice(&state.night_total.to_le_bytes());
    put_welford(out, &state.amounts);
    let mask = state
        .by_category
        .iter()
        .enumerate()
        .filter(|(_, w)| w.n > 0)
        .fold(0u16, |m, (i, _)| m | 1 << i);
    out.extend_from_slice(&mask.to_le_bytes());
    for w in state.by_category.iter().filter(|w| w.n > 0) {
        put_welford(out, w);
    }
    out.extend_from_slice(&(state.recent.len() as u16).to_le_bytes());
    for e in &state.recent {
        out.extend_from_slice(&event_bytes(e));
    }
}

/// One event's 34 bytes, built in a fixed array: one copy into the output
/// per event instead of eight length-checked appends.
fn event_bytes(e: &Event) -> [u8; EVENT_BYTES] {
    let mut b = [0u8; EVENT_BYTES];
    b[0..8].copy_from_slice(&e.time.to_le_bytes());
    b[8..16].copy_from_slice(&e.id.to_le_bytes());
    b[16..20].copy_from_slice(&e.lat.to_le_bytes());
    b[20..24].copy_from_slice(&e.lon.to_le_bytes());
    b[24..28].copy_from_slice(&e.amount_cents.to_le_bytes());
    b[28..32].copy_from_slice(&e.merchant.to_le_bytes());
    b[32] = e.category;
    b[33] = u8::from(e.night);
    b
}

/// The `N` bytes of an event at offset `at` (constant offsets into a
/// fixed-size array: the compiler drops the bounds checks).
fn field<const N: usize>(b: &[u8; EVENT_BYTES], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&b[at..at + N]);
    out
}

/// An event as stored, its values unchecked (see [`event_fault`]).
fn raw_event(b: &[u8; EVENT_BYTES]) -> Event {
    Event {
        time: i64::from_le_bytes(field(b, 0)),
        id: u64::from_le_bytes(field(b, 8)),
        lat: f32::from_le_bytes(field(b, 16)),
        lon: f32::from_le_bytes(field(b, 20)),
        amount_cents: u32::from_le_bytes(field(b, 24)),
        merchant: u32::from_le_bytes(field(b, 28)),
        category: b[32],
        night: b[33] == 1,
    }
}

/// What is wrong with an event's own values (its bytes `b`, read as `e`),
/// if anything: the category must be known, the night flag 0 or 1, the
/// coordinates finite. Branch-free, so the decoding loop stays tight.
fn event_fault(b: &[u8; EVENT_BYTES], e: &Event) -> Option<&'static str> {
    let category_known = usize::from(e.category) < Category::ALL.len();
    let night_flag = b[33] <= 1;
    let finite = e.lat.is_finite() & e.lon.is_finite();
    if category_known & night_flag & finite {
        None
    } else if !category_known {
        Some("unknown event category")
    } else if !night_flag {
        Some("bad night flag")
    } else {
        Some("non-finite")
    }
}

/// The first fault among `events` (known to hold one): an event's own
/// values, or its place in time (in order, within `[first_seen, latest]`).
fn first_event_fault(events: &[[u8; EVENT_BYTES]], state: &CardState) -> FeatureError {
    let mut previous = state.first_seen;
    for b in events {
        let e = raw_event(b);
        if let Some(fault) = event_fault(b, &e) {
            return bad(fault);
        }
        if e.time < previous || e.time > state.latest {
            return bad("events out of order or out of range");
        }
        previous = e.time;
    }
    bad("inconsistent event")
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let (head, rest) = self
            .bytes
            .split_first_chunk::<N>()
            .ok_or_else(|| bad("truncated"))?;
        self.bytes = rest;
        Ok(*head)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.take()?))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take()?))
    }
    fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.take()?))
    }
    fn f64(&mut self) -> Result<f64> {
        let v = f64::from_le_bytes(self.take()?);
        v.is_finite().then_some(v).ok_or_else(|| bad("non-finite"))
    }
    fn welford(&mut self) -> Result<Welford> {
        let w = Welford {
            n: self.u32()?,
            mean: self.f64()?,
            m2: self.f64()?,
        };
        if w.m2 < 0.0 {
            return Err(bad("negative m2"));
        }
        Ok(w)
    }
}

fn bad(reason: &str) -> FeatureError {
    FeatureError::StateDecode {
        reason: reason.to_string(),
    }
}

/// Decodes a state written by [`encode`], checking it.
pub fn decode(bytes: &[u8]) -> Result<CardState> {
    let mut r = Reader { bytes };
    let version = r.u8()?;
    if version != VERSION {
        return Err(bad(&format!("unknown state version {version}")));
    }
    let mut state = CardState {
        first_seen: r.i64()?,
        latest: r.i64()?,
        night_total: r.u32()?,
        amounts: r.welford()?,
        ..CardState::default()
    };
    let mask = r.u16()?;
    if mask >> Category::ALL.len() != 0 {
        return Err(bad("unknown category in mask"));
    }
    let mut in_categories = 0u64;
    for (i, w) in state.by_category.iter_mut().enumerate() {
        if mask & (1 << i) != 0 {
            *w = r.welford()?;
            if w.n == 0 {
                return Err(bad("empty category accumulator"));
            }
            in_categories += u64::from(w.n);
        }
    }
    if in_categories != u64::from(state.amounts.n) || state.night_total > state.amounts.n {
        return Err(bad("inconsistent counts"));
    }
    let count = usize::from(r.u16()?);
    if count > MAX_EVENTS || count > state.amounts.n as usize {
        return Err(bad("too many events"));
    }
    // The events are the rest of the value, exactly: 34 bytes each.
    let events = r.bytes;
    match events.len().cmp(&(count * EVENT_BYTES)) {
        std::cmp::Ordering::Less => return Err(bad("truncated")),
        std::cmp::Ordering::Greater => return Err(bad("trailing bytes")),
        std::cmp::Ordering::Equal => {}
    }
    let (events, _) = events.as_chunks::<EVENT_BYTES>(); // nothing left over
    // Fast path: read every event, folding their checks into one flag (no
    // branch per field); only a corrupt value takes the careful path, which
    // names the first fault.
    let mut recent = Vec::with_capacity(count);
    let mut previous = state.first_seen;
    let mut valid = true;
    for b in events {
        let e = raw_event(b);
        valid &= event_fault(b, &e).is_none() & (e.time >= previous) & (e.time <= state.latest);
        previous = e.time;
        recent.push(e);
    }
    if !valid {
        return Err(first_event_fault(events, &state));
    }
    if state.amounts.n > 0 && state.first_seen > state.latest {
        return Err(bad("first_seen after latest"));
    }
    state.recent = VecDeque::from(recent);
    Ok(state)
}
