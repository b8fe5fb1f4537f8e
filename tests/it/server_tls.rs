//! The accept loop's limits over TLS, on a server in process (127.0.0.1, ephemeral port, a
//! certificate made in the test): a client that never completes its handshake is closed after
//! the header-read timeout and frees its slot; beyond the connection cap the 503 is answered
//! over TLS; a graceful shutdown does not wait for a handshake under way.

use crate::support::{Fixture, bounded, start};
use crate::tls_support::{Ca, peer_certificate};
use gatehouse::server::{ServerConfig, Tls, TlsFiles};
use serde_json::Value;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// A server with `config` serving a certificate of `ca`.
async fn start_tls(ca: &Ca, dir: &std::path::Path, config: ServerConfig) -> (Fixture, Vec<u8>) {
    let leaf = ca.leaf();
    let (cert, key) = leaf.write(dir);
    let tls = Tls::load(TlsFiles { cert, key }).expect("load TLS");
    let f = start(ServerConfig {
        tls: Some(tls),
        ..config
    })
    .await;
    (f, leaf.der)
}

/// Waits until the server closes `conn`, failing past `secs`.
async fn closed_by_the_server(conn: &mut TcpStream, secs: u64, what: &str) {
    let mut buf = [0u8; 1024];
    let ended = tokio::time::timeout(Duration::from_secs(secs), async {
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the server kept {what} open for {secs} s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_answers_and_names_its_url_with_https() {
    bounded(60, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = Ca::new("gatehouse test CA");
        let (f, der) = start_tls(&ca, dir.path(), ServerConfig::default()).await;
        assert!(f.url.starts_with("https://127.0.0.1:"), "{}", f.url);
        let res = ca
            .client()
            .get(format!("{}/api/v1/healthz", f.url))
            .send()
            .await
            .expect("GET healthz over https");
        assert_eq!(res.status(), 200);
        assert_eq!(peer_certificate(&res), der);
        // An API call with a key works over TLS too.
        let me = ca
            .client()
            .get(format!("{}/api/v1/me", f.url))
            .bearer_auth(&f.admin_key)
            .send()
            .await
            .expect("GET me");
        assert_eq!(me.status(), 200);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_handshake_is_closed_and_frees_its_slot_and_the_503_comes_over_tls() {
    bounded(60, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = Ca::new("gatehouse test CA");
        let config = ServerConfig {
            max_connections: 1,
            header_read_timeout: Duration::from_millis(1500),
            ..ServerConfig::default()
        };
        let (f, _) = start_tls(&ca, dir.path(), config).await;
        // Takes the only slot and never says hello.
        let mut stalled = TcpStream::connect(f.server.addr).await.expect("connect");
        let url = format!("{}/api/v1/healthz", f.url);
        let res = ca
            .client()
            .get(&url)
            .send()
            .await
            .expect("refused over TLS");
        assert_eq!(res.status(), 503);
        let body: Value = res.json().await.expect("JSON error");
        assert_eq!(body["error"]["code"], "unavailable", "{body}");
        closed_by_the_server(
            &mut stalled,
            20,
            "a connection that never completed its handshake",
        )
        .await;
        // The slot is free again.
        let mut served = false;
        for _ in 0..100 {
            let res = ca.client().get(&url).send().await.expect("GET");
            if res.status() == 200 {
                served = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(served, "the slot of the stalled handshake was never freed");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_does_not_wait_for_a_handshake_under_way() {
    bounded(60, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = Ca::new("gatehouse test CA");
        // A handshake could wait ten minutes: only the shutdown may end it.
        let config = ServerConfig {
            header_read_timeout: Duration::from_secs(600),
            ..ServerConfig::default()
        };
        let (f, _) = start_tls(&ca, dir.path(), config).await;
        let mut stalled = TcpStream::connect(f.server.addr).await.expect("connect");
        // The server has accepted it once an https request made after it is answered.
        let res = ca
            .client()
            .get(format!("{}/api/v1/healthz", f.url))
            .send()
            .await
            .expect("GET");
        assert_eq!(res.status(), 200);
        let stopped = tokio::time::timeout(Duration::from_secs(30), f.server.shutdown()).await;
        assert!(
            matches!(stopped, Ok(Ok(()))),
            "the shutdown waited for a stalled handshake: {stopped:?}"
        );
        closed_by_the_server(&mut stalled, 20, "a stalled handshake after the shutdown").await;
    })
    .await;
}
