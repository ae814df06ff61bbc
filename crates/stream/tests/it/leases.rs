//! Partition leases against a real Redis.

use std::time::{Duration, Instant};

use vigie_stream::{PartitionLeases, RedisConfig, new_owner_id};

use crate::support::{redis_config, redis_url, unique};

struct Group {
    config: RedisConfig,
    name: String,
}

impl Group {
    fn new(url: &str) -> Self {
        Self {
            config: redis_config(url),
            name: unique("scorers"),
        }
    }

    fn owner(&self, ttl: Duration) -> PartitionLeases {
        PartitionLeases::connect(&self.config, &self.name, new_owner_id(), ttl).unwrap()
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Ok(leases) =
            PartitionLeases::connect(&self.config, &self.name, "cleaner", Duration::from_secs(1))
        {
            let _ = leases.purge_all();
        }
    }
}

#[test]
fn only_one_owner_holds_a_partition() {
    let Some(url) = redis_url("only_one_owner_holds_a_partition") else {
        return;
    };
    let group = Group::new(&url);
    let (a, b) = (
        group.owner(Duration::from_secs(30)),
        group.owner(Duration::from_secs(30)),
    );
    assert_ne!(a.owner(), b.owner());
    let lease = a.try_acquire(3).unwrap().expect("a free partition");
    assert_eq!(b.try_acquire(3).unwrap(), None);
    assert_eq!(a.try_acquire(3).unwrap(), None, "not re-entrant");
    assert_eq!(
        b.holder(3).unwrap(),
        Some(format!("{}#{}", a.owner(), lease.fence))
    );
    assert!(a.renew(&lease).unwrap());
    // Another partition is independent.
    let other = b.try_acquire(4).unwrap().expect("partition 4 is free");
    assert!(b.release(other).unwrap());

    let fence = lease.fence;
    assert!(a.release(lease.clone()).unwrap());
    assert!(!a.release(lease.clone()).unwrap(), "released once");
    assert!(
        !a.renew(&lease).unwrap(),
        "a released lease cannot be renewed"
    );
    let taken = b.try_acquire(3).unwrap().expect("released");
    assert!(taken.fence > fence);
}

#[test]
fn an_expired_lease_is_handed_over() {
    let Some(url) = redis_url("an_expired_lease_is_handed_over") else {
        return;
    };
    let group = Group::new(&url);
    let a = group.owner(Duration::from_millis(200));
    let b = group.owner(Duration::from_secs(30));
    let old = a.try_acquire(0).unwrap().unwrap();
    // Wait for the condition (a bounded poll), not for a fixed time.
    let deadline = Instant::now() + Duration::from_secs(20);
    let new = loop {
        if let Some(lease) = b.try_acquire(0).unwrap() {
            break lease;
        }
        assert!(Instant::now() < deadline, "the lease never expired");
        std::thread::yield_now();
    };
    assert!(new.fence > old.fence);
    assert!(
        !a.renew(&old).unwrap(),
        "the old owner learns it lost the lease"
    );
    assert!(
        !a.release(old).unwrap(),
        "and cannot delete its successor's lease"
    );
    assert_eq!(
        a.holder(0).unwrap(),
        Some(format!("{}#{}", b.owner(), new.fence))
    );
}

#[test]
fn workers_claim_disjoint_shares() {
    let Some(url) = redis_url("workers_claim_disjoint_shares") else {
        return;
    };
    let group = Group::new(&url);
    let (a, b) = (
        group.owner(Duration::from_secs(30)),
        group.owner(Duration::from_secs(30)),
    );
    let first = a.claim(8, 4).unwrap();
    let second = b.claim(8, 8).unwrap();
    assert_eq!(first.len(), 4);
    assert_eq!(second.len(), 4);
    let mut all: Vec<u16> = first.iter().chain(&second).map(|l| l.partition).collect();
    all.sort_unstable();
    assert_eq!(all, (0..8).collect::<Vec<_>>());
    assert!(b.claim(8, 8).unwrap().is_empty());
}

#[test]
fn bad_lease_settings_are_refused() {
    let config = RedisConfig::new("redis://127.0.0.1:1");
    let err = PartitionLeases::connect(&config, "", "a#b", Duration::ZERO).unwrap_err();
    assert_eq!(err.to_string().matches("must").count(), 3, "{err}");
}
