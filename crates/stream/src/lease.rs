//! Partition leases in Redis: which worker consumes which partition.
//!
//! A partition's transactions must be scored by one worker at a time, in
//! order. Each worker tries to take partitions with [`PartitionLeases::try_acquire`]
//! (`SET key owner NX PX ttl`, atomic in a Lua script together with a
//! per-partition fencing counter), renews the ones it holds well before the
//! TTL runs out, and stops consuming a partition as soon as a renewal
//! fails. A dead worker's leases expire after the TTL and another worker
//! takes them over.
//!
//! Invariants:
//! - at most one owner holds a partition's lease at any instant (Redis
//!   executes each script atomically);
//! - every acquisition gets a fencing token strictly greater than the
//!   previous one of that partition, so a paused worker that wakes up after
//!   losing its lease can be refused by whatever it writes to;
//! - renew and release act only on the exact lease value (owner and fence),
//!   so a stale owner can neither extend nor delete its successor's lease.
//!
//! Correctness of the card states does not rest on leases (two workers may
//! overlap during a hand-over: the state store's optimistic updates and the
//! per-transaction idempotency keep that safe); leases keep the overlap rare
//! and per-card order intact in the steady state.

use std::time::Duration;

use redis::Script;

use crate::error::{Result, StreamError};
use crate::redis_store::{Pool, RedisConfig};

const ACQUIRE_LUA: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '#' .. fence, 'PX', ARGV[2])
return fence
";

const RENEW_LUA: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

const RELEASE_LUA: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// A lease held on one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The partition.
    pub partition: u16,
    /// The fencing token: strictly increasing per partition.
    pub fence: u64,
    value: String,
}

/// The lease table of one consumer group, for one owner (a worker process).
pub struct PartitionLeases {
    pool: Pool,
    key_prefix: String,
    owner: String,
    ttl: Duration,
    acquire: Script,
    renew: Script,
    release: Script,
}

impl std::fmt::Debug for PartitionLeases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionLeases")
            .field("server", &self.pool.server())
            .field("key_prefix", &self.key_prefix)
            .field("owner", &self.owner)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// A unique owner id for this process: host name, process id and 32
/// random bits (a restarted worker is a new owner).
pub fn new_owner_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    let random = getrandom::u32().unwrap_or_default();
    format!("{host}-{}-{random:08x}", std::process::id())
}

impl PartitionLeases {
    /// The leases of consumer group `group` (keys
    /// `<key_prefix>:lease:v1:<group>:<partition>`), taken as `owner` for
    /// `ttl` at a time.
    pub fn connect(
        config: &RedisConfig,
        group: &str,
        owner: impl Into<String>,
        ttl: Duration,
    ) -> Result<Self> {
        let owner = owner.into();
        let mut problems = Vec::new();
        if ttl < Duration::from_millis(10) {
            problems.push("the lease TTL must be at least 10 ms");
        }
        if owner.is_empty() || owner.contains('#') {
            problems.push("the owner id must be non-empty and contain no '#'");
        }
        if group.is_empty() || group.contains(char::is_whitespace) {
            problems.push("the group name must be non-empty without white space");
        }
        if !problems.is_empty() {
            return Err(StreamError::Config {
                reason: problems.join("; "),
            });
        }
        Ok(Self {
            pool: Pool::connect(config)?,
            key_prefix: format!("{}:lease:v1:{group}:", config.key_prefix),
            owner,
            ttl,
            acquire: Script::new(ACQUIRE_LUA),
            renew: Script::new(RENEW_LUA),
            release: Script::new(RELEASE_LUA),
        })
    }

    /// This owner's id.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The lease duration.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn key(&self, partition: u16) -> String {
        format!("{}{partition}", self.key_prefix)
    }

    fn fence_key(&self, partition: u16) -> String {
        format!("{}{partition}:fence", self.key_prefix)
    }

    fn ttl_ms(&self) -> u64 {
        u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX)
    }

    /// Takes the partition if nobody holds it.
    pub fn try_acquire(&self, partition: u16) -> Result<Option<Lease>> {
        let fence: u64 = self.pool.run(|con| {
            self.acquire
                .key(self.key(partition))
                .key(self.fence_key(partition))
                .arg(&self.owner)
                .arg(self.ttl_ms())
                .invoke(con)
        })?;
        Ok((fence > 0).then(|| Lease {
            partition,
            fence,
            value: format!("{}#{fence}", self.owner),
        }))
    }

    /// Extends the lease by a full TTL. `false` means it was lost (expired,
    /// and maybe taken by another owner): stop consuming the partition.
    pub fn renew(&self, lease: &Lease) -> Result<bool> {
        let renewed: u64 = self.pool.run(|con| {
            self.renew
                .key(self.key(lease.partition))
                .arg(&lease.value)
                .arg(self.ttl_ms())
                .invoke(con)
        })?;
        Ok(renewed == 1)
    }

    /// Gives the partition up (on shutdown), if still held.
    pub fn release(&self, lease: Lease) -> Result<bool> {
        let released: u64 = self.pool.run(|con| {
            self.release
                .key(self.key(lease.partition))
                .arg(&lease.value)
                .invoke(con)
        })?;
        Ok(released == 1)
    }

    /// Who holds the partition now (`owner#fence`), if anyone.
    pub fn holder(&self, partition: u16) -> Result<Option<String>> {
        self.pool.run(|con| {
            redis::cmd("GET")
                .arg(self.key(partition))
                .query::<Option<String>>(con)
        })
    }

    /// Tries every partition in `0..partitions` not yet held and takes up
    /// to `max` of them, in order: a worker's periodic claim step (with
    /// `max` = its fair share, partitions / live workers, rounded up).
    pub fn claim(&self, partitions: u16, max: usize) -> Result<Vec<Lease>> {
        let mut taken = Vec::new();
        for partition in 0..partitions {
            if taken.len() >= max {
                break;
            }
            if let Some(lease) = self.try_acquire(partition)? {
                taken.push(lease);
            }
        }
        Ok(taken)
    }

    /// Records this owner as alive for one TTL and returns how many owners
    /// of the group are alive now (itself included): a sorted set
    /// `<key_prefix>:lease:v1:<group>:members` scored by expiry time (this
    /// machine's clock, in ms). A worker's fair share is partitions / that,
    /// rounded up.
    pub fn heartbeat(&self) -> Result<usize> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let key = format!("{}members", self.key_prefix);
        let (live,): (usize,) = self.pool.run(|con| {
            redis::pipe()
                .cmd("ZADD")
                .arg(&key)
                .arg(now.saturating_add(self.ttl_ms()))
                .arg(&self.owner)
                .ignore()
                .cmd("ZREMRANGEBYSCORE")
                .arg(&key)
                .arg("-inf")
                .arg(now)
                .ignore()
                .cmd("PEXPIRE")
                .arg(&key)
                .arg(self.ttl_ms().saturating_mul(10))
                .ignore()
                .cmd("ZCARD")
                .arg(&key)
                .query(con)
        })?;
        Ok(live.max(1))
    }

    /// Removes this owner from the live members (on shutdown).
    pub fn leave(&self) -> Result<()> {
        let key = format!("{}members", self.key_prefix);
        self.pool.run(|con| {
            redis::cmd("ZREM")
                .arg(&key)
                .arg(&self.owner)
                .query::<()>(con)
        })
    }

    /// Deletes every lease and fencing counter of this group (tests, reset).
    pub fn purge_all(&self) -> Result<u64> {
        self.pool.delete_matching(&format!("{}*", self.key_prefix))
    }
}
