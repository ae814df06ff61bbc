//! `vigie stream decisions`: the decisions the workers published, one JSON
//! object per line on stdout (each `trans_num` once), read from the
//! decision frames of `<prefix>.decisions.*`.

use std::io::Write;

use anyhow::{Context, Result};
use clap::Args;
use vigie_stream::StreamError;
use vigie_stream::nats::{
    ReadDecisions, Topology, connect_with, jetstream_context, read_decisions,
};

use super::stream::{NatsArgs, usable};

/// `vigie stream decisions`.
#[derive(Debug, Args)]
pub struct DecisionsArgs {
    /// The NATS server and its TLS settings.
    #[command(flatten)]
    pub nats: NatsArgs,
    /// First subject token: decisions are on <PREFIX>.decisions.<partition>.
    #[arg(long, default_value = "vigie", value_name = "PREFIX")]
    pub subject_prefix: String,
    /// Keep printing new decisions as they are published (stop with Ctrl-C).
    #[arg(long)]
    pub follow: bool,
    /// Stop after this many decisions.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
}

/// Runs `vigie stream decisions`.
pub fn run(args: &DecisionsArgs) -> Result<()> {
    // The stream names depend on the prefix only.
    let topology = Topology::new(&args.subject_prefix, 1).map_err(usable)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let options = ReadDecisions {
        follow: args.follow,
        limit: args.limit,
    };
    let report = runtime.block_on(async {
        let client = connect_with(&args.nats.url, "vigie-decisions", &args.nats.tls()).await?;
        // API requests and a consumer only: nothing is published.
        let js = jetstream_context(client, 1);
        read_decisions(&js, &topology, options, |line| {
            out.write_all(line)
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| if args.follow { out.flush() } else { Ok(()) })
                .map_err(|source| StreamError::Io {
                    path: "<stdout>".into(),
                    source,
                })
        })
        .await
    });
    out.flush().context("writing to stdout")?;
    let report = report.map_err(usable)?;
    tracing::info!(
        stream = %topology.decisions_stream,
        frames = report.frames,
        decisions = report.decisions,
        duplicates_skipped = report.duplicates,
        "decisions read"
    );
    Ok(())
}
