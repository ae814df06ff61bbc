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
    let mut out = Vec::with_capacity(64 + 20 * 4 + EVENT_BYTES * state.recent.len());
    out.push(VERSION);
    out.extend_from_slice(&state.first_seen.to_le_bytes());
    out.extend_from_slice(&state.latest.to_le_bytes());
    out.extend_from_slice(&state.night_total.to_le_bytes());
    put_welford(&mut out, &state.amounts);
    let mask = state
        .by_category
        .iter()
        .enumerate()
        .filter(|(_, w)| w.n > 0)
        .fold(0u16, |m, (i, _)| m | 1 << i);
    out.extend_from_slice(&mask.to_le_bytes());
    for w in state.by_category.iter().filter(|w| w.n > 0) {
        put_welford(&mut out, w);
    }
    out.extend_from_slice(&(state.recent.len() as u16).to_le_bytes());
    for e in &state.recent {
        out.extend_from_slice(&e.time.to_le_bytes());
        out.extend_from_slice(&e.id.to_le_bytes());
        out.extend_from_slice(&e.lat.to_le_bytes());
        out.extend_from_slice(&e.lon.to_le_bytes());
        out.extend_from_slice(&e.amount_cents.to_le_bytes());
        out.extend_from_slice(&e.merchant.to_le_bytes());
        out.push(e.category);
        out.push(u8::from(e.night));
    }
    out
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
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take()?))
    }
    fn f32(&mut self) -> Result<f32> {
        let v = f32::from_le_bytes(self.take()?);
        v.is_finite().then_some(v).ok_or_else(|| bad("non-finite"))
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
    let mut recent = VecDeque::with_capacity(count);
    for _ in 0..count {
        let e = Event {
            time: r.i64()?,
            id: r.u64()?,
            lat: r.f32()?,
            lon: r.f32()?,
            amount_cents: r.u32()?,
            merchant: r.u32()?,
            category: r.u8()?,
            night: match r.u8()? {
                0 => false,
                1 => true,
                _ => return Err(bad("bad night flag")),
            },
        };
        if usize::from(e.category) >= Category::ALL.len() {
            return Err(bad("unknown event category"));
        }
        if recent.back().is_some_and(|p: &Event| p.time > e.time)
            || e.time < state.first_seen
            || e.time > state.latest
        {
            return Err(bad("events out of order or out of range"));
        }
        recent.push_back(e);
    }
    if !r.bytes.is_empty() {
        return Err(bad("trailing bytes"));
    }
    if state.amounts.n > 0 && state.first_seen > state.latest {
        return Err(bad("first_seen after latest"));
    }
    state.recent = recent;
    Ok(state)
}
