//! Where per-card state lives between transactions: the [`StateStore`] trait
//! and its in-memory implementation (the embedded default). A Redis store
//! implements the same trait for several scorer processes.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Mutex;

use vigie_types::{CardMap, CardToken};

use crate::codec;
use crate::error::{FeatureError, Result};
use crate::state::CardState;

/// A store of card states. Implementations serialise calls for the same card,
/// so an extract-then-update never interleaves with another for that card.
pub trait StateStore: Send + Sync {
    /// Runs `f` on the card's state (a new, empty state if the card is
    /// unknown) and keeps what `f` leaves.
    fn with_state(&self, card: &CardToken, f: &mut dyn FnMut(&mut CardState)) -> Result<()>;

    /// A copy of the card's state, if the card is known.
    fn get(&self, card: &CardToken) -> Result<Option<CardState>>;

    /// Forgets a card (GDPR erasure). Returns whether it was known.
    fn remove(&self, card: &CardToken) -> Result<bool>;

    /// Number of cards known.
    fn card_count(&self) -> Result<u64>;
}

const SHARDS: usize = 64;

/// Card states in memory, in 64 independently locked shards so concurrent
/// requests for different cards rarely wait for each other.
pub struct MemoryStateStore {
    shards: Vec<Mutex<CardMap<CardState>>>,
}

impl Default for MemoryStateStore {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(CardMap::default()))
                .collect(),
        }
    }
}

impl std::fmt::Debug for MemoryStateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStateStore").finish_non_exhaustive()
    }
}

fn poisoned() -> FeatureError {
    FeatureError::Store {
        reason: "a thread panicked while holding the state lock".into(),
    }
}

const SNAPSHOT_MAGIC: &[u8; 12] = b"VIGIESTATE1\n";

impl MemoryStateStore {
    fn shard(&self, card: &CardToken) -> &Mutex<CardMap<CardState>> {
        &self.shards[usize::from(card.digest()[0]) % SHARDS]
    }

    /// A store holding `states`.
    pub fn from_states(states: impl IntoIterator<Item = (CardToken, CardState)>) -> Self {
        let store = Self::default();
        for (card, state) in states {
            if let Ok(mut shard) = store.shard(&card).lock() {
                shard.insert(card, state);
            }
        }
        store
    }

    /// Every card and its state.
    pub fn into_states(self) -> Result<Vec<(CardToken, CardState)>> {
        let mut out = Vec::new();
        for shard in self.shards {
            out.extend(shard.into_inner().map_err(|_| poisoned())?);
        }
        Ok(out)
    }

    /// Writes every state to `path` (a temporary file renamed into place).
    pub fn save_snapshot(&self, path: &Path) -> Result<u64> {
        let io = |source| FeatureError::Io {
            path: path.to_path_buf(),
            source,
        };
        let tmp = path.with_extension("partial");
        let mut out = BufWriter::new(File::create(&tmp).map_err(io)?);
        out.write_all(SNAPSHOT_MAGIC).map_err(io)?;
        let mut cards = 0u64;
        let mut token = Vec::with_capacity(CardToken::TEXT_LEN);
        for shard in &self.shards {
            let shard = shard.lock().map_err(|_| poisoned())?;
            for (card, state) in shard.iter() {
                token.clear();
                card.write_to(&mut token);
                let bytes = codec::encode(state);
                out.write_all(&token).map_err(io)?;
                out.write_all(&(bytes.len() as u32).to_le_bytes())
                    .map_err(io)?;
                out.write_all(&bytes).map_err(io)?;
                cards += 1;
            }
        }
        out.into_inner()
            .map_err(|e| io(e.into_error()))?
            .sync_all()
            .map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(cards)
    }

    /// Reads a snapshot written by [`Self::save_snapshot`].
    pub fn load_snapshot(path: &Path) -> Result<Self> {
        let io = |source| FeatureError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut input = BufReader::new(File::open(path).map_err(io)?);
        let mut magic = [0u8; 12];
        input.read_exact(&mut magic).map_err(io)?;
        if &magic != SNAPSHOT_MAGIC {
            return Err(FeatureError::StateDecode {
                reason: format!("{} is not a Vigie state snapshot", path.display()),
            });
        }
        let store = Self::default();
        let mut token = [0u8; CardToken::TEXT_LEN];
        let mut bytes = Vec::new();
        loop {
            match input.read_exact(&mut token) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(io(e)),
            }
            let card = CardToken::parse(&token).map_err(|e| FeatureError::StateDecode {
                reason: e.to_string(),
            })?;
            let mut len = [0u8; 4];
            input.read_exact(&mut len).map_err(io)?;
            bytes.resize(u32::from_le_bytes(len) as usize, 0);
            input.read_exact(&mut bytes).map_err(io)?;
            let state = codec::decode(&bytes)?;
            store
                .shard(&card)
                .lock()
                .map_err(|_| poisoned())?
                .insert(card, state);
        }
        Ok(store)
    }
}

impl StateStore for MemoryStateStore {
    fn with_state(&self, card: &CardToken, f: &mut dyn FnMut(&mut CardState)) -> Result<()> {
        let mut shard = self.shard(card).lock().map_err(|_| poisoned())?;
        f(shard.entry(*card).or_default());
        Ok(())
    }

    fn get(&self, card: &CardToken) -> Result<Option<CardState>> {
        let shard = self.shard(card).lock().map_err(|_| poisoned())?;
        Ok(shard.get(card).cloned())
    }

    fn remove(&self, card: &CardToken) -> Result<bool> {
        let mut shard = self.shard(card).lock().map_err(|_| poisoned())?;
        Ok(shard.remove(card).is_some())
    }

    fn card_count(&self) -> Result<u64> {
        let mut total = 0;
        for shard in &self.shards {
            total += shard.lock().map_err(|_| poisoned())?.len() as u64;
        }
        Ok(total)
    }
}
