//! The open-loop run: a pacer thread releases request `i` at its intended
//! time `t0 + i / rate`; connection tasks on a one-thread runtime take the
//! released requests in order; latency is measured from the intended time.
//!
//! The pacer never waits for the server: a request due while every
//! connection is busy waits in the backlog (its wait is part of its
//! latency), and one due while `max_in_flight` requests are outstanding is
//! not sent and is counted as an `in_flight_cap` error.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hyper::header::HeaderValue;
use tokio::sync::Semaphore;

use crate::client::{Connection, RequestTemplate, connect};
use crate::error::{ReplayError, Result};
use crate::options::{ReplayOptions, Target};
use crate::report::{Progress, ReplayReport};
use crate::stats::{ErrorKind, Stats, Timing};
use crate::workload::Workload;

/// How often the progress callback is called.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Reads the options' file (no more rows than `limit` and `rate *
/// duration` allow), then replays it: see [`replay_workload`].
pub fn replay(options: &ReplayOptions, progress: impl FnMut(&Progress)) -> Result<ReplayReport> {
    let workload = Workload::load(&options.file, options.row_bound()?)?;
    replay_workload(options, workload, progress)
}

/// Replays an already loaded workload against `options.url`. Blocks the
/// calling thread, which calls `progress` about every [`PROGRESS_EVERY`] and
/// once at the end; the requests run on a one-thread runtime of their own
/// and a pacer thread (so this may be called from anywhere, even inside
/// another runtime's blocking section).
pub fn replay_workload(
    options: &ReplayOptions,
    mut workload: Workload,
    mut progress: impl FnMut(&Progress),
) -> Result<ReplayReport> {
    let planned = options.planned_requests(workload.len() as u64)?;
    if planned == 0 {
        return Err(ReplayError::EmptyWorkload(format!(
            "{} has no rows to send",
            options.file.display()
        )));
    }
    workload.truncate(usize::try_from(planned).unwrap_or(usize::MAX));
    let target = Target::parse(&options.url)?;
    let labelled = workload.is_labelled();
    let resorted = workload.was_resorted();

    let (events, received) = mpsc::channel();
    let thread_options = options.clone();
    let runner = std::thread::Builder::new()
        .name("vigie-replay".into())
        .spawn(move || run_on_own_runtime(thread_options, target, workload, planned, events))
        .map_err(|err| ReplayError::Runtime(err.to_string()))?;

    let shared = match received.recv() {
        Ok(Event::Started(shared)) => shared,
        Ok(Event::Done(result)) => {
            let _ = runner.join();
            result?;
            return Err(ReplayError::Runtime("the run ended before starting".into()));
        }
        Err(_) => return Err(ReplayError::Runtime("the replay thread died".into())),
    };
    let mut last = (shared.t0, 0_u64);
    let result = loop {
        match received.recv_timeout(PROGRESS_EVERY) {
            Ok(Event::Done(result)) => break result,
            Ok(Event::Started(_)) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => {
                progress(&shared.progress(labelled, &mut last));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                break Err(ReplayError::Runtime("the replay thread died".into()));
            }
        }
    };
    let _ = runner.join();
    result?;
    progress(&shared.progress(labelled, &mut last));
    Ok(shared.report(options, resorted, labelled))
}

enum Event {
    Started(Arc<Shared>),
    Done(Result<()>),
}

/// State shared by the pacer, the connection tasks and the progress loop.
struct Shared {
    workload: Workload,
    planned: u64,
    rate: f64,
    connections: usize,
    max_in_flight: u64,
    t0: Instant,
    /// One permit per released request (plus one per connection at the end,
    /// to let the tasks exit).
    gate: Semaphore,
    /// The next request index to take (by a connection task, or by the
    /// pacer to drop it).
    next: AtomicU64,
    /// Requests released (due) so far.
    released: AtomicU64,
    /// Requests done: answered, failed or dropped.
    finished: AtomicU64,
    stats: Mutex<Stats>,
}

impl Shared {
    fn intended(&self, index: u64) -> Instant {
        self.t0 + Duration::from_secs_f64(index as f64 / self.rate)
    }

    fn stats(&self) -> MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Releases each request at its intended time; drops the oldest waiting
    /// one instead when the in-flight cap is reached.
    fn pace(&self) {
        for index in 0..self.planned {
            let due = self.intended(index);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            let outstanding = index.saturating_sub(self.finished.load(Ordering::Acquire));
            if outstanding >= self.max_in_flight {
                let oldest = self.next.fetch_add(1, Ordering::AcqRel);
                if oldest < self.planned {
                    self.stats().record_not_sent(ErrorKind::InFlightCap);
                    self.finished.fetch_add(1, Ordering::AcqRel);
                }
            } else {
                self.gate.add_permits(1);
            }
            self.released.store(index + 1, Ordering::Release);
        }
        self.gate.add_permits(self.connections);
    }

    /// One connection's loop: take the next released request, send it,
    /// record the outcome.
    async fn serve(&self, template: &RequestTemplate, mut connection: Connection) {
        loop {
            let Ok(permit) = self.gate.acquire().await else {
                return;
            };
            permit.forget();
            let index = self.next.fetch_add(1, Ordering::AcqRel);
            if index >= self.planned {
                return;
            }
            let request = &self.workload.requests()[index as usize];
            let intended = self.intended(index);
            let deadline = intended + template.timeout;
            let expired = || Instant::now() >= deadline;
            if expired() {
                self.stats().record_not_sent(ErrorKind::Timeout);
            } else {
                match connection.ready(template).await {
                    Err(kind) => self.stats().record_not_sent(kind),
                    Ok(()) if expired() => self.stats().record_not_sent(ErrorKind::Timeout),
                    Ok(()) => {
                        let written = Instant::now();
                        self.stats().record_sent();
                        let (outcome, finished) = connection
                            .send(template, request.body.clone(), deadline)
                            .await;
                        let timing = Timing {
                            intended,
                            written,
                            finished,
                        };
                        self.stats().record(timing, outcome, request.is_fraud);
                    }
                }
            }
            self.finished.fetch_add(1, Ordering::AcqRel);
        }
    }

    fn progress(&self, labelled: bool, last: &mut (Instant, u64)) -> Progress {
        let now = Instant::now();
        let released = self.released.load(Ordering::Acquire);
        let mut snapshot = self.stats().progress(
            now.saturating_duration_since(self.t0),
            self.planned,
            released,
            labelled,
        );
        let interval = now.saturating_duration_since(last.0).as_secs_f64();
        if interval > 0.0 {
            snapshot.throughput = snapshot.answered.saturating_sub(last.1) as f64 / interval;
        }
        *last = (now, snapshot.answered);
        snapshot
    }

    fn report(&self, options: &ReplayOptions, resorted: bool, labelled: bool) -> ReplayReport {
        let stats = self.stats();
        let end = stats.last_answer().unwrap_or_else(Instant::now);
        let duration_s = end.saturating_duration_since(self.t0).as_secs_f64();
        let achieved_rate = if duration_s > 0.0 {
            stats.answered() as f64 / duration_s
        } else {
            0.0
        };
        ReplayReport {
            url: options.url.clone(),
            file: options.file.display().to_string(),
            requested_rate: self.rate,
            achieved_rate,
            duration_s,
            planned: self.planned,
            sent: stats.sent(),
            answered: stats.answered(),
            scored: stats.scored(),
            statuses: stats.statuses(),
            errors: stats.errors(),
            error_total: stats.error_total(),
            latency_us: stats.latency(),
            service_time_us: stats.service(),
            send_lag_us: stats.send_lag(),
            server_latency_us: stats.server(),
            decisions: stats.decisions(),
            confusion: labelled.then(|| stats.confusion()),
            warmup_excluded: stats.warmup_excluded(),
            connections: self.connections,
            resorted,
        }
    }
}

/// The replay thread: a one-thread runtime, connections opened before the
/// clock starts, then the pacer thread and one task per connection.
fn run_on_own_runtime(
    options: ReplayOptions,
    target: Target,
    workload: Workload,
    planned: u64,
    events: mpsc::Sender<Event>,
) {
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| ReplayError::Runtime(err.to_string()))
        .and_then(|runtime| runtime.block_on(run(&options, &target, workload, planned, &events)));
    let _ = events.send(Event::Done(result));
}

async fn run(
    options: &ReplayOptions,
    target: &Target,
    workload: Workload,
    planned: u64,
    events: &mpsc::Sender<Event>,
) -> Result<()> {
    let connect_error = |reason| ReplayError::Connect {
        authority: target.authority.clone(),
        reason,
    };
    let addr = tokio::net::lookup_host((target.host.as_str(), target.port))
        .await
        .map_err(connect_error)?
        .next()
        .ok_or_else(|| connect_error(std::io::Error::other("the name has no address")))?;
    let mut connections = Vec::with_capacity(options.connections);
    for _ in 0..options.connections {
        let sender = connect(addr, options.timeout)
            .await
            .map_err(connect_error)?;
        connections.push(Connection::new(sender));
    }
    let template = Arc::new(request_template(options, target, addr)?);

    let t0 = Instant::now();
    let shared = Arc::new(Shared {
        workload,
        planned,
        rate: options.rate,
        connections: options.connections,
        max_in_flight: options.max_in_flight,
        t0,
        gate: Semaphore::new(0),
        next: AtomicU64::new(0),
        released: AtomicU64::new(0),
        finished: AtomicU64::new(0),
        stats: Mutex::new(Stats::new(t0 + options.warmup)),
    });
    let _ = events.send(Event::Started(Arc::clone(&shared)));
    let pacer_shared = Arc::clone(&shared);
    let pacer = std::thread::Builder::new()
        .name("vigie-replay-pacer".into())
        .spawn(move || pacer_shared.pace())
        .map_err(|err| ReplayError::Runtime(err.to_string()))?;
    let tasks: Vec<_> = connections
        .into_iter()
        .map(|connection| {
            let shared = Arc::clone(&shared);
            let template = Arc::clone(&template);
            tokio::spawn(async move { shared.serve(&template, connection).await })
        })
        .collect();
    for task in tasks {
        task.await
            .map_err(|err| ReplayError::Runtime(err.to_string()))?;
    }
    pacer
        .join()
        .map_err(|_| ReplayError::Runtime("the pacer thread panicked".into()))?;
    Ok(())
}

fn request_template(
    options: &ReplayOptions,
    target: &Target,
    addr: std::net::SocketAddr,
) -> Result<RequestTemplate> {
    let invalid =
        |what: &str| ReplayError::InvalidOption(format!("{what} is not a valid header value"));
    let authorization = options
        .api_key
        .as_deref()
        .map(|key| {
            HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| invalid("the API key"))
        })
        .transpose()?
        .map(|mut value| {
            value.set_sensitive(true);
            value
        });
    Ok(RequestTemplate {
        addr,
        uri: target
            .path
            .parse()
            .map_err(|_| ReplayError::InvalidUrl(format!("{}: bad path", options.url)))?,
        host: HeaderValue::from_str(&target.authority).map_err(|_| invalid("the host"))?,
        authorization,
        timeout: options.timeout,
    })
}
