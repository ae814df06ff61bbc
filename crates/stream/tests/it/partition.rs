//! The partition function is stable: pinned values for known card numbers
//! under a known key (a change here would move every card to another
//! partition and break per-card order across a deployment).

use vigie_stream::nats::{Topology, partition_of};
use vigie_types::CardNumber;

use crate::support::tokenizer;

#[test]
fn partitions_of_known_cards_are_pinned() {
    let tokenizer = tokenizer();
    let cases: [(&[u8], u16, u16); 4] = [
        (b"4599735407877245080", PINNED[0].0, PINNED[0].1),
        (b"2703186189652095", PINNED[1].0, PINNED[1].1),
        (b"630423337322", PINNED[2].0, PINNED[2].1),
        (b"30551643947183", PINNED[3].0, PINNED[3].1),
    ];
    for (digits, of16, of1024) in cases {
        let token = tokenizer.tokenize(&CardNumber::parse(digits).unwrap());
        assert_eq!(partition_of(&token, 16), of16);
        assert_eq!(partition_of(&token, 1024), of1024);
        assert_eq!(Topology::default().partition_of(&token), of16);
        assert_eq!(partition_of(&token, 1), 0);
    }
}

/// (partition of 16, partition of 1024) for the cards above under the test
/// key `0123456789abcdef0123456789abcdef`, version 1 (computed independently
/// with Python's `hmac`: the first 8 digest bytes, big-endian, modulo n).
const PINNED: [(u16, u16); 4] = [(6, 150), (5, 453), (10, 634), (3, 979)];

#[test]
fn partitions_spread_cards_evenly() {
    let tokenizer = tokenizer();
    let mut counts = [0u32; 16];
    for i in 0..16_000u64 {
        let body = format!("4{:014}", i * 7_919);
        let card = CardNumber::with_check_digit(body.as_bytes()).unwrap();
        counts[usize::from(partition_of(&tokenizer.tokenize(&card), 16))] += 1;
    }
    // 1,000 expected per partition; a 4-sigma band is about +-125.
    for (p, n) in counts.iter().enumerate() {
        assert!((850..=1150).contains(n), "partition {p}: {n} cards");
    }
}
