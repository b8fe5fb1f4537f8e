//! The cleanup of relations whose end has passed: every [`ServerConfig::prune_every`] a server
//! removes them as the system actor (each an `expire` audit event) and logs how many. Nothing
//! waits for it: the engine leaves an ended relation out of every decision from its end on;
//! the cleanup only keeps the store and the console free of relations that no longer count.
//!
//! [`ServerConfig::prune_every`]: super::ServerConfig::prune_every

use crate::backend::Error;
use crate::service::{Actor, Service};
use std::sync::Arc;
use std::time::Duration;

/// The default of [`ServerConfig::prune_every`](super::ServerConfig::prune_every).
pub const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Prunes ended relations every `every`, the first time one `every` after it starts.
pub async fn prune_ended(service: Arc<Service>, every: Duration) {
    let start = tokio::time::Instant::now() + every;
    let mut tick = tokio::time::interval_at(start, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        prune_once(&service).await;
    }
}

/// One cleanup, logged: how many it removed (info), or why it could not (a warning; another
/// replica pruning the same relations first is only worth a debug line).
pub async fn prune_once(service: &Service) {
    if service.snapshot().state.expiries.is_empty() {
        return;
    }
    // Prune what the store holds now, not what this server last read of it.
    if let Err(e) = service.refresh_if_stale().await {
        tracing::warn!("cannot re-read the store before pruning ended relations: {e}");
        return;
    }
    match service.prune_expired(&Actor::system()).await {
        Ok((0, _)) => {}
        Ok((removed, revision)) => {
            tracing::info!(removed, revision, "removed relations whose end has passed")
        }
        Err(e @ (Error::NotFound { .. } | Error::Conflict(_) | Error::Stale { .. })) => {
            tracing::debug!("ended relations changed while pruning them (another replica?): {e}")
        }
        Err(e) => tracing::warn!("cannot remove relations whose end has passed: {e}"),
    }
}
