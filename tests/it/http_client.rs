//! `HttpBackend` against a real server when the server closes a connection on its own: after
//! a request too large to read (413, answered before the body is read, then the connection is
//! closed) the next reads still go through, twenty times in a row. (A raw pooled reqwest client
//! once met a broken pipe in that spot in `tests/server.rs`.)

use crate::support;

use gatehouse::backend::Backend;
use gatehouse::backend::RoleSpec;
use gatehouse::server::ServerConfig;
use support::{bounded, start};

#[tokio::test]
async fn reads_after_a_refused_large_request_go_through() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let http = f.http(&f.admin_key);
        for round in 0..20 {
            let e = http
                .create_role(RoleSpec {
                    name: "x".repeat(2 * 1024 * 1024),
                    description: String::new(),
                })
                .await
                .expect_err("too large");
            // The 413 itself, or — when the server closed while the body was still being
            // written — the broken connection.
            let text = e.to_string();
            assert!(
                text.contains("length limit exceeded")
                    || matches!(e, gatehouse::backend::Error::Unreachable(_)),
                "round {round}: {e}"
            );
            let me = http.me().await;
            assert!(
                me.is_ok(),
                "round {round}: the read after the 413 failed: {me:?}"
            );
            let s = http.state().await;
            assert!(s.is_ok(), "round {round}: {s:?}");
        }
    })
    .await;
}
