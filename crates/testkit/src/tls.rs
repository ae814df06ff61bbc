//! A throwaway certificate authority and TLS servers spawned for one test
//! (dev only):
//! certificates from the `openssl` command, a `nats-server` started with a
//! configuration of its own on a free port. A test that cannot have them
//! says `skipped:` and why.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// PEM files of a CA, a server certificate (for `127.0.0.1` and
/// `localhost`) and a client certificate, both signed by the CA.
pub struct Certs {
    /// The directory holding them (removed when dropped).
    pub dir: tempfile::TempDir,
    /// The CA's certificate.
    pub ca: PathBuf,
    /// The server's certificate.
    pub server_cert: PathBuf,
    /// The server's private key.
    pub server_key: PathBuf,
    /// The client's certificate.
    pub client_cert: PathBuf,
    /// The client's private key.
    pub client_key: PathBuf,
}

/// Runs `openssl` in `dir` with `command`'s whitespace-separated words
/// (none of this module's arguments holds a space).
fn openssl(dir: &Path, command: &str) {
    let args: Vec<&str> = command.split_whitespace().collect();
    let out = Command::new("openssl")
        .args(&args)
        .current_dir(dir)
        .output()
        .expect("running openssl");
    assert!(
        out.status.success(),
        "openssl {command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A new P-256 key, unencrypted, written to the file that follows.
const NEW_KEY: &str = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout";

/// A new key pair and a certificate for it signed by the CA in `dir`.
fn issue(dir: &Path, name: &str, extensions: &str) {
    std::fs::write(dir.join(format!("{name}.ext")), extensions)
        .expect("writing an extensions file");
    openssl(
        dir,
        &format!("req {NEW_KEY} {name}.key -out {name}.csr -subj /CN=vigie-test-{name}"),
    );
    openssl(
        dir,
        &format!(
            "x509 -req -in {name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
             -out {name}.pem -extfile {name}.ext"
        ),
    );
}

/// A fresh CA with a server and a client certificate; `None` (and a
/// `skipped:` line) when the `openssl` command is missing.
pub fn certs(test: &str) -> Option<Certs> {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("skipped: {test} needs the openssl command to make certificates");
        return None;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    openssl(
        d,
        &format!(
            "req -x509 {NEW_KEY} ca.key -out ca.pem -days 2 -subj /CN=vigie-test-ca \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
        ),
    );
    issue(
        d,
        "server",
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n\
         extendedKeyUsage=serverAuth\n",
    );
    issue(
        d,
        "client",
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    );
    Some(Certs {
        ca: d.join("ca.pem"),
        server_cert: d.join("server.pem"),
        server_key: d.join("server.key"),
        client_cert: d.join("client.pem"),
        client_key: d.join("client.key"),
        dir,
    })
}

/// A loopback port nothing listens on (now).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A server process, killed when dropped.
pub struct Server {
    child: Child,
    /// The loopback port it listens on.
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `program` with `args` and waits until it accepts connections on
/// `port` (10 s at most).
pub fn spawn_listening(program: &Path, args: &[&str], port: u16) -> Server {
    let child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the server");
    let mut server = Server { child, port };
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("{} exited before listening: {status}", program.display());
        }
        assert!(
            Instant::now() < deadline,
            "{} never listened on {port}",
            program.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

/// The `nats-server` program: `VIGIE_TEST_NATS_SERVER`, else the Debian
/// package's path, else the `PATH`.
pub fn nats_server_program(test: &str) -> Option<PathBuf> {
    program(
        test,
        "nats-server",
        "VIGIE_TEST_NATS_SERVER",
        "/usr/sbin/nats-server",
    )
}

/// The `redis-server` program: `VIGIE_TEST_REDIS_SERVER`, else the Debian
/// package's path, else the `PATH`.
pub fn redis_server_program(test: &str) -> Option<PathBuf> {
    program(
        test,
        "redis-server",
        "VIGIE_TEST_REDIS_SERVER",
        "/usr/bin/redis-server",
    )
}

fn program(test: &str, name: &str, variable: &str, debian: &str) -> Option<PathBuf> {
    let found = std::env::var_os(variable)
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from(debian)])
        .chain(
            std::env::var_os("PATH")
                .iter()
                .flat_map(std::env::split_paths)
                .map(|dir| dir.join(name))
                .collect::<Vec<_>>(),
        )
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        eprintln!("skipped: {test} needs the {name} program ({variable})");
    }
    found
}

/// A Redis server listening on TLS only, with the test CA's server
/// certificate, requiring client certificates signed by the CA; it keeps
/// nothing on disk.
pub fn tls_redis_server(program: &Path, certs: &Certs) -> Server {
    let port = free_port();
    let port_text = port.to_string();
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let (cert, key, ca) = (
        path(&certs.server_cert),
        path(&certs.server_key),
        path(&certs.ca),
    );
    let dir = path(certs.dir.path());
    let args = [
        "--port",
        "0",
        "--tls-port",
        &port_text,
        "--bind",
        "127.0.0.1",
        "--tls-cert-file",
        &cert,
        "--tls-key-file",
        &key,
        "--tls-ca-cert-file",
        &ca,
        "--tls-auth-clients",
        "yes",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        &dir,
    ];
    spawn_listening(program, &args, port)
}

/// A NATS server with JetStream, requiring TLS with the test CA's server
/// certificate and verifying its clients' certificates against the CA.
pub fn tls_nats_server(program: &Path, certs: &Certs) -> Server {
    let port = free_port();
    let config = certs.dir.path().join("nats.conf");
    let store = certs.dir.path().join("jetstream");
    std::fs::write(
        &config,
        format!(
            "listen: 127.0.0.1:{port}\njetstream {{ store_dir: {store:?} }}\ntls {{\n  \
             cert_file: {:?}\n  key_file: {:?}\n  ca_file: {:?}\n  verify: true\n  \
             timeout: 2\n}}\n",
            certs.server_cert, certs.server_key, certs.ca
        ),
    )
    .expect("writing the server's configuration");
    let config = config.to_string_lossy().into_owned();
    spawn_listening(program, &["-c", &config], port)
}

/// A PostgreSQL server that offers TLS with a certificate file this
/// process can read (the Debian package's self-signed "snakeoil" one, for
/// `localhost`, serves as its own CA).
pub struct PgTls {
    /// The role of the plain URL.
    pub user: String,
    /// Its port.
    pub port: u16,
    /// Its database.
    pub dbname: String,
    /// The server's certificate (`ssl_cert_file`).
    pub certificate: PathBuf,
}

impl PgTls {
    /// `postgres://user@host:port/db?query`.
    pub fn url(&self, host: &str, query: &str) -> String {
        format!(
            "postgres://{}@{host}:{}/{}?{query}",
            self.user, self.port, self.dbname
        )
    }

    /// The URL at `localhost` with `sslmode=verify-full` and the server's
    /// certificate as the root, after `query` (may be empty).
    pub fn verified_url(&self, query: &str) -> String {
        let sep = if query.is_empty() { "" } else { "&" };
        let root = self.certificate.display();
        self.url(
            "localhost",
            &format!("{query}{sep}sslmode=verify-full&sslrootcert={root}"),
        )
    }
}

/// What the server at `plain_url` says of its TLS (`SHOW ssl`,
/// `SHOW ssl_cert_file`); `None`, with a line saying why on stderr, when
/// it offers none this process can use.
pub fn pg_tls(plain_url: &str, test: &str) -> Option<PgTls> {
    let config: postgres::Config = plain_url.parse().expect("a PostgreSQL URL");
    let mut client = postgres::Client::connect(plain_url, postgres::NoTls).ok()?;
    let mut show = |setting: &str| -> String {
        client
            .query_one(&format!("SHOW {setting}"), &[])
            .map(|row| row.get(0))
            .unwrap_or_default()
    };
    let (ssl, file) = (show("ssl"), show("ssl_cert_file"));
    let certificate = PathBuf::from(&file);
    if ssl != "on" || std::fs::metadata(&certificate).is_err() {
        eprintln!(
            "{test}: the server offers no TLS with a certificate file this process can \
             read (ssl = {ssl}, ssl_cert_file = {file})"
        );
        return None;
    }
    Some(PgTls {
        user: config.get_user().unwrap_or("postgres").to_string(),
        port: config.get_ports().first().copied().unwrap_or(5432),
        dbname: config.get_dbname().unwrap_or("postgres").to_string(),
        certificate,
    })
}
