//! The NATS JetStream edge: subjects and partitions, the message schema,
//! stream set-up, the publisher and the consumer-side building blocks. All
//! of it is async (tokio, through `async-nats`); callers outside an async
//! context create a runtime (the CLI does).

mod consume;
mod decision_frame;
mod decisions_read;
mod message;
mod publish;
mod publish_acks;
mod setup;
mod topology;

pub use consume::{
    ConsumerSettings, Delivery, acknowledged_floor, copy_to_dead_letters, dead_letter,
    dead_letter_bad, fetch_batch, headers, partition_consumer, partition_stream,
    restart_partition_consumer,
};
pub use decision_frame::{
    BatchOrigin, DECISION_COUNT_HEADER, DECISIONS_CONTENT_TYPE, DecisionFrame, MAX_FRAME_BYTES,
    decision_frames, frame_limit, frame_records,
};
pub use decisions_read::{ReadDecisions, ReadReport, read_decisions};
pub use message::{
    BadMessage, BadMessageKind, MAX_MESSAGE_BYTES, TX_SCHEMA_VERSION, decode_tx, encode_tx,
};
pub use publish::{
    FileSource, MAX_WINDOW, PublishCounts, PublishOptions, PublishReport, Publisher, publish_file,
};
pub use setup::{
    StreamSettings, StreamsReport, SyncPolicy, connect, connect_with, ensure_streams,
    jetstream_context, stream_config, sync_policy,
};
pub use topology::{MAX_PARTITIONS, Topology, partition_of};
