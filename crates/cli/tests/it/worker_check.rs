//! What the worker tests compare: the outcome of a clean single-process
//! run of the same engine (in file order, over an in-memory store) against
//! the decision log, the card states in Redis and the consumers.

use std::collections::HashMap;
use std::sync::Arc;

use vigie_decisions::DecisionLog;
use vigie_engine::{DecisionRecord, Engine, EngineOptions, ModelRef, Scored, ServingModel};
use vigie_features::{MemoryStateStore, StateStore};
use vigie_types::{CardToken, TransNum};

use crate::worker_support::Run;

impl Run {
    /// The model the workers serve, as they load it.
    pub fn model(&self) -> ServingModel {
        let bytes = std::fs::read(&self.model_file).unwrap();
        ServingModel::from_bytes(
            ModelRef {
                name: "card-fraud".into(),
                version: 1,
            },
            &bytes,
        )
        .unwrap()
    }

    /// A clean single-process run: every transaction in file order through
    /// the engine over an in-memory store. Decisions and final states.
    pub fn expected(&self) -> (HashMap<TransNum, DecisionRecord>, Arc<MemoryStateStore>) {
        let store = Arc::new(MemoryStateStore::default());
        let engine = Engine::new(
            Arc::clone(&store) as Arc<dyn StateStore>,
            self.model(),
            None,
            vigie_engine::rules::RuleSet::defaults().unwrap(),
            EngineOptions::default(),
        );
        let mut decisions = HashMap::new();
        for txn in &self.txns {
            if let Scored::Fresh(record) = engine.score(txn).unwrap() {
                decisions.insert(txn.trans_num, *record);
            }
        }
        (decisions, store)
    }

    /// Asserts that the log holds the expected decision for every
    /// transaction (same decision, score and features).
    pub fn assert_decisions_match(
        &self,
        log: &DecisionLog,
        expected: &HashMap<TransNum, DecisionRecord>,
        only: Option<&[TransNum]>,
    ) {
        let wanted = only.map_or_else(|| self.trans_nums(), <[TransNum]>::to_vec);
        let stored = log.get_many(&wanted).unwrap();
        assert_eq!(stored.len(), wanted.len(), "decisions missing");
        let mut differ = 0;
        for t in &wanted {
            let got = &stored[t].record;
            let want = &expected[t];
            if got.decision != want.decision
                || got.score.to_bits() != want.score.to_bits()
                || got.features != want.features
            {
                differ += 1;
            }
        }
        assert_eq!(
            differ,
            0,
            "{differ} of {} decisions differ from a clean run",
            wanted.len()
        );
    }

    /// Asserts every card's state in Redis equals the clean run's.
    pub fn assert_states_match(&self, expected: &MemoryStateStore) {
        self.assert_states_in(&self.redis_store(), expected);
    }

    /// [`Self::assert_states_match`] against another store (another Redis).
    pub fn assert_states_in(
        &self,
        store: &vigie_stream::RedisStateStore,
        expected: &MemoryStateStore,
    ) {
        let mut cards: Vec<CardToken> = self.txns.iter().map(|t| t.card).collect();
        cards.sort_by_key(|c| *c.digest());
        cards.dedup();
        let loaded = store.load_many(&cards).unwrap();
        let differ = loaded
            .iter()
            .filter(|l| Some(l.state.clone()) != expected.get(&l.card).unwrap())
            .count();
        assert_eq!(differ, 0, "{differ} of {} card states differ", cards.len());
    }

    /// Unacknowledged or undelivered messages over every partition consumer.
    pub fn pending(&self) -> u64 {
        self.with_jetstream(|js, topology| async move {
            let mut pending = 0;
            for p in 0..self.partitions {
                let stream = js.get_stream(topology.tx_stream(p)).await.unwrap();
                let name = format!("{}-p{p}", self.group);
                let info = stream.consumer_info(&name).await.unwrap();
                pending += info.num_pending + info.num_ack_pending as u64;
            }
            pending
        })
    }

    /// Every decision on the decisions stream, by `trans_num` (a decision
    /// published more than once appears once per copy). Checks each
    /// frame's count header against its lines.
    pub fn published_decisions(&self) -> HashMap<TransNum, Vec<DecisionRecord>> {
        use async_nats::jetstream::consumer::{AckPolicy, pull};
        use futures_util::StreamExt;
        use vigie_stream::nats::{DECISION_COUNT_HEADER, frame_records};
        self.with_jetstream(|js, topology| async move {
            let stream = js.get_stream(&topology.decisions_stream).await.unwrap();
            let consumer = stream
                .create_consumer(pull::Config {
                    ack_policy: AckPolicy::None,
                    ..pull::Config::default()
                })
                .await
                .unwrap();
            let mut published: HashMap<TransNum, Vec<DecisionRecord>> = HashMap::new();
            loop {
                let mut frames = consumer
                    .fetch()
                    .max_messages(1_000)
                    .messages()
                    .await
                    .unwrap();
                let mut fetched = 0;
                while let Some(frame) = frames.next().await {
                    let frame = frame.unwrap();
                    fetched += 1;
                    let count = frame
                        .headers
                        .as_ref()
                        .and_then(|h| h.get(DECISION_COUNT_HEADER))
                        .map(|v| v.as_str().parse::<usize>().unwrap());
                    let records: Vec<DecisionRecord> = frame_records(&frame.payload)
                        .map(|line| serde_json::from_slice(line).unwrap())
                        .collect();
                    assert_eq!(count, Some(records.len()), "frame count header");
                    for record in records {
                        published.entry(record.trans_num).or_default().push(record);
                    }
                }
                if fetched == 0 {
                    return published;
                }
            }
        })
    }

    /// Asserts that every transaction's decision was published at least
    /// once, and every published copy is the logged decision; returns the
    /// published decisions (as [`Self::published_decisions`]).
    pub fn assert_published_match(
        &self,
        log: &DecisionLog,
    ) -> HashMap<TransNum, Vec<DecisionRecord>> {
        let wanted = self.trans_nums();
        let stored = log.get_many(&wanted).unwrap();
        let published = self.published_decisions();
        let missing = wanted.iter().filter(|t| !published.contains_key(t)).count();
        assert_eq!(
            missing,
            0,
            "{missing} of {} decisions never published",
            wanted.len()
        );
        let differ = wanted
            .iter()
            .flat_map(|t| published[t].iter().map(move |copy| (t, copy)))
            .filter(|(t, copy)| {
                let logged = &stored[t].record;
                copy.decision != logged.decision
                    || copy.score.to_bits() != logged.score.to_bits()
                    || copy.features != logged.features
            })
            .count();
        assert_eq!(
            differ, 0,
            "{differ} published decisions differ from the log"
        );
        published
    }
}
