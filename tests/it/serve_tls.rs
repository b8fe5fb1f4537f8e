//! The real `gatehouse serve --tls-cert … --tls-key …` process: a store made with `init`, a
//! certificate made in the test (rcgen), HTTPS checked with a client that trusts only the
//! test's CA, and with the CLI trusting it through `$GATEHOUSE_CA_CERT`; SIGHUP (`kill -HUP`)
//! swaps the certificate for new connections and keeps the old one when the new files are bad;
//! a plain-http client fails cleanly; bad files at start exit 2 naming the flag. Loopback
//! only, ephemeral ports, every wait bounded.

use crate::tls_support::{Ca, peer_certificate};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::serve_process::{gatehouse, text};

/// `gatehouse init --db DB` in `home`.
fn init(home: &Path) -> PathBuf {
    let db = home.join("gatehouse.db");
    let o = gatehouse(home)
        .arg("--db")
        .arg(&db)
        .args(["init", "--admin", "root"])
        .output()
        .expect("run init");
    assert!(o.status.success(), "init: {}", text(&o.stderr));
    db
}

/// An API key of the owner (`root`) on `db`.
fn key_for(home: &Path, db: &Path) -> String {
    let o = gatehouse(home)
        .arg("--db")
        .arg(db)
        .args(["keys", "create", "root", "-o", "json"])
        .output()
        .expect("run keys create");
    assert!(o.status.success(), "keys create: {}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("keys create json");
    v["secret"].as_str().expect("secret").to_string()
}

/// A running `gatehouse serve`, killed if the test ends before it is stopped.
struct Server {
    child: Child,
    /// `https://127.0.0.1:PORT`.
    url: String,
    log: mpsc::Receiver<String>,
}

impl Server {
    fn start(home: &Path, db: &Path, cert: &Path, key: &Path) -> Server {
        let mut child = gatehouse(home)
            .arg("--db")
            .arg(db)
            .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn gatehouse serve");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            url: String::new(),
            log,
        };
        let line = server.wait_for("on https://");
        let at = line.find("on https://").expect("https URL") + 3;
        let rest = &line[at..];
        server.url = rest[..rest.find("/api/v1").expect("/api/v1")].to_string();
        server
    }

    /// Waits (30 s at most) for a log line holding `needle`; returns it.
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(line) => seen.push(line),
                Err(e) => panic!(
                    "gatehouse serve never logged '{needle}' ({e}); it logged:\n{}",
                    seen.join("\n")
                ),
            }
        }
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([sig, &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill {sig} {pid}");
    }

    /// SIGTERM, and a clean exit within 10 s.
    fn stop(mut self) {
        self.signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                assert!(s.success(), "serve ended with {s} after SIGTERM");
                return;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET /api/v1/healthz` over HTTPS with a client trusting `ca` only: the status and the
/// certificate the server presented.
async fn healthz(server: &Server, ca: &Ca) -> reqwest::Result<(u16, Vec<u8>)> {
    let res = ca
        .client()
        .get(format!("{}/api/v1/healthz", server.url))
        .send()
        .await?;
    Ok((res.status().as_u16(), peer_certificate(&res)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_over_https_and_swap_the_certificate_on_sighup() {
    let home = tempfile::tempdir().expect("tempdir");
    let db = init(home.path());
    let key_secret = key_for(home.path(), &db);
    let (first_ca, second_ca) = (Ca::new("first CA"), Ca::new("second CA"));
    let first = first_ca.leaf();
    let (cert, key) = first.write(home.path());
    let server = Server::start(home.path(), &db, &cert, &key);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );

    let (status, der) = healthz(&server, &first_ca).await.expect("https healthz");
    assert_eq!(status, 200);
    assert_eq!(der, first.der, "the server presents the first certificate");

    // The CLI over https: it trusts the CA of $GATEHOUSE_CA_CERT, and nothing else but the
    // web PKI roots.
    let ca_file = home.path().join("first-ca.pem");
    std::fs::write(&ca_file, &first_ca.pem).expect("write CA");
    let remote = |ca: Option<&Path>| {
        let mut c = gatehouse(home.path());
        c.env("GATEHOUSE_API_KEY", &key_secret)
            .args(["--remote", &server.url, "status"]);
        if let Some(ca) = ca {
            c.env("GATEHOUSE_CA_CERT", ca);
        }
        c.output().expect("run gatehouse --remote")
    };
    let o = remote(Some(&ca_file));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = remote(None);
    assert_eq!(
        o.status.code(),
        Some(6),
        "an unknown CA is unreachable: {}",
        text(&o.stderr)
    );

    // Plain http to the TLS port: an error for the client, and the server goes on.
    let plain = server.url.replacen("https://", "http://", 1);
    let answer = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
        .get(format!("{plain}/api/v1/healthz"))
        .send()
        .await;
    match answer {
        Err(e) => assert!(!e.is_timeout(), "plain http hung until the timeout: {e}"),
        Ok(res) => assert_ne!(res.status(), 200, "plain http was served on the TLS port"),
    }
    assert_eq!(healthz(&server, &first_ca).await.expect("healthz").0, 200);

    // A bad pair (the second certificate with the first key): logged, the first one kept.
    let second = second_ca.leaf();
    std::fs::write(&cert, &second.cert_pem).expect("write cert");
    server.signal("-HUP");
    let line = server.wait_for("cannot reload the TLS certificate");
    assert!(line.contains("--tls-key"), "{line}");
    let (status, der) = healthz(&server, &first_ca).await.expect("still the first");
    assert_eq!((status, der), (200, first.der.clone()));

    // The good second pair: new connections get it; a client trusting only the first CA
    // is refused.
    second.write(home.path());
    server.signal("-HUP");
    server.wait_for("reloaded the TLS certificate");
    let (status, der) = healthz(&server, &second_ca).await.expect("the second");
    assert_eq!(status, 200);
    assert_eq!(
        der, second.der,
        "the server presents the second certificate"
    );
    assert!(
        healthz(&server, &first_ca).await.is_err(),
        "a client trusting only the first CA still connects"
    );
    server.stop();
}

/// Runs `serve` with `tls_args` on an initialized store, expecting it to exit (bounded); the
/// exit code and stderr.
fn serve_fails(home: &Path, tls_args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let db = home.join("gatehouse.db");
    let mut child = gatehouse(home)
        .arg("--db")
        .arg(&db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(tls_args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve with {tls_args:?} kept running");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o: Output = child.wait_with_output().expect("output");
    (o.status.code(), text(&o.stderr))
}

#[test]
fn bad_tls_files_at_start_exit_2_naming_the_flag() {
    let home = tempfile::tempdir().expect("tempdir");
    init(home.path());
    let ca = Ca::new("CA");
    let leaf = ca.leaf();
    let (cert, key) = leaf.write(home.path());
    let missing = home.path().join("missing.pem");
    let other_key = home.path().join("other-key.pem");
    std::fs::write(&other_key, ca.leaf().key_pem).expect("write");
    let flag = |s: &'static str| std::ffi::OsStr::new(s);
    let cases: Vec<(Vec<&std::ffi::OsStr>, &str)> = vec![
        (
            vec![
                flag("--tls-cert"),
                missing.as_os_str(),
                flag("--tls-key"),
                key.as_os_str(),
            ],
            "--tls-cert",
        ),
        (
            vec![
                flag("--tls-cert"),
                cert.as_os_str(),
                flag("--tls-key"),
                missing.as_os_str(),
            ],
            "--tls-key",
        ),
        // The certificate where the key should be.
        (
            vec![
                flag("--tls-cert"),
                cert.as_os_str(),
                flag("--tls-key"),
                cert.as_os_str(),
            ],
            "--tls-key",
        ),
        // The key of another certificate.
        (
            vec![
                flag("--tls-cert"),
                cert.as_os_str(),
                flag("--tls-key"),
                other_key.as_os_str(),
            ],
            "--tls-key",
        ),
        // One flag without the other (clap).
        (vec![flag("--tls-cert"), cert.as_os_str()], "--tls-key"),
        (vec![flag("--tls-key"), key.as_os_str()], "--tls-cert"),
    ];
    for (args, named) in cases {
        let (code, stderr) = serve_fails(home.path(), &args);
        assert_eq!(code, Some(2), "serve {args:?}: {stderr}");
        assert!(
            stderr.contains(named),
            "serve {args:?} should name {named}: {stderr}"
        );
        assert!(
            !stderr.contains("serving"),
            "serve {args:?} served: {stderr}"
        );
    }
}
