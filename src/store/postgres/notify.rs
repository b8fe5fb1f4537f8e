//! Revisions announced between processes (issue 6, replicas): every commit calls
//! `pg_notify(channel, revision)` inside its transaction — PostgreSQL delivers it only if the
//! transaction commits — and every store LISTENs on the channel and publishes what it hears on
//! a watch channel ([`Store::watch`](crate::store::Store::watch)). A server follows that feed
//! at once and still polls the revision every second, in case a notification is lost (the
//! listener reconnects by itself).

use crate::model::Revision;
use sqlx::postgres::{PgListener, PgPool};
use std::time::Duration;
use tokio::sync::watch;

/// The channel of the schema `schema`: one per schema, so stores in different schemas of one
/// database (tests, several installations) do not wake each other.
pub(super) fn channel(schema: &str) -> String {
    // Channel names are identifiers of at most 63 bytes; schema names are checked plain.
    let mut c = format!("gatehouse_rev_{schema}");
    c.truncate(63);
    c
}

/// Listens on `channel` until `tx` has no receiver left, reconnecting after errors.
pub(super) async fn listen(pool: PgPool, channel: String, tx: watch::Sender<Revision>) {
    loop {
        if tx.is_closed() {
            return;
        }
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!("cannot LISTEN for revisions: {e}; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(&channel).await {
            tracing::warn!("cannot LISTEN on {channel}: {e}; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        loop {
            match listener.recv().await {
                Ok(n) => {
                    if let Ok(rev) = n.payload().parse::<Revision>() {
                        tx.send_if_modified(|cur| {
                            let newer = rev > *cur;
                            if newer {
                                *cur = rev;
                            }
                            newer
                        });
                    }
                }
                Err(e) => {
                    tracing::warn!("the revision feed broke: {e}; reconnecting");
                    break;
                }
            }
            if tx.is_closed() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn channels_are_per_schema_and_short() {
        assert_eq!(super::channel("public"), "gatehouse_rev_public");
        assert!(super::channel(&"x".repeat(80)).len() <= 63);
    }
}
