//! One keep-alive HTTP/1.1 connection and the sending of one request on it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::stats::{Answer, ErrorKind, Outcome};

/// What every request carries besides its body.
#[derive(Debug, Clone)]
pub(crate) struct RequestTemplate {
    pub addr: SocketAddr,
    pub uri: hyper::Uri,
    pub host: HeaderValue,
    pub authorization: Option<HeaderValue>,
    pub timeout: Duration,
}

/// A connection that reconnects after a failure.
pub(crate) struct Connection {
    sender: Option<SendRequest<Full<Bytes>>>,
}

/// Opens one HTTP/1.1 connection; its driver runs as a task.
pub(crate) async fn connect(
    addr: SocketAddr,
    timeout: Duration,
) -> std::io::Result<SendRequest<Full<Bytes>>> {
    let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
    stream.set_nodelay(true)?;
    let (sender, driver) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(async move {
        // The driver ends with the connection; a failure shows on the sender.
        let _ = driver.await;
    });
    Ok(sender)
}

impl Connection {
    /// Wraps an already opened connection.
    pub(crate) fn new(sender: SendRequest<Full<Bytes>>) -> Self {
        Self {
            sender: Some(sender),
        }
    }

    /// Makes sure the connection is usable, reconnecting if needed.
    pub(crate) async fn ready(&mut self, template: &RequestTemplate) -> Result<(), ErrorKind> {
        if let Some(sender) = &mut self.sender {
            if sender.ready().await.is_ok() {
                return Ok(());
            }
            self.sender = None;
        }
        let sender = connect(template.addr, template.timeout)
            .await
            .map_err(|_| ErrorKind::Connect)?;
        self.sender = Some(sender);
        Ok(())
    }

    /// Sends `body` and reads the whole answer before `deadline`. Any
    /// failure drops the connection.
    pub(crate) async fn send(
        &mut self,
        template: &RequestTemplate,
        body: Bytes,
        deadline: Instant,
    ) -> (Outcome, Instant) {
        let Some(sender) = &mut self.sender else {
            return (Outcome::Failed(ErrorKind::Io), Instant::now());
        };
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = template.uri.clone();
        let headers = request.headers_mut();
        headers.insert(HOST, template.host.clone());
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(authorization) = &template.authorization {
            headers.insert(AUTHORIZATION, authorization.clone());
        }
        let exchange = async {
            let response = sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, body))
        };
        let result = tokio::time::timeout_at(deadline.into(), exchange).await;
        let finished = Instant::now();
        let outcome = match result {
            Err(_) => Outcome::Failed(ErrorKind::Timeout),
            Ok(Err(_)) => Outcome::Failed(ErrorKind::Io),
            Ok(Ok((status, body))) => Outcome::Answered {
                status: status.as_u16(),
                answer: status
                    .is_success()
                    .then(|| serde_json::from_slice::<Answer>(&body).map_err(|_| ())),
            },
        };
        if matches!(outcome, Outcome::Failed(_)) {
            self.sender = None;
        }
        (outcome, finished)
    }
}
