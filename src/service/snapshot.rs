//! [`Snapshot`]: the state and its decision index as of one revision, and the index for
//! another instant ([`Snapshot::engine_at`]) when relations in it end.

use crate::catalog::Catalogs;
use crate::engine::Engine;
use crate::policy::State;
use std::sync::{Arc, OnceLock};

/// The state and its decision index, as of one revision. Immutable; share with `Arc`.
#[derive(Debug)]
pub struct Snapshot {
    /// All objects and links.
    pub state: Arc<State>,
    /// The decision index built from `state`, once built.
    pub(super) engine: OnceLock<Engine>,
    pub(super) catalogs: Arc<Catalogs>,
}

impl Snapshot {
    pub(super) fn new(state: State, catalogs: Arc<Catalogs>) -> Snapshot {
        Snapshot {
            state: Arc::new(state),
            engine: OnceLock::new(),
            catalogs,
        }
    }

    /// The decision index built from `state`. After a write it is built before the snapshot
    /// is published; after opening the store, when first needed or ahead on a background
    /// thread (a caller that needs it sooner waits for that build).
    pub fn engine(&self) -> &Engine {
        self.engine
            .get_or_init(|| Engine::build(&self.state, &self.catalogs))
    }

    /// Whether the decision index is built (a server builds it before serving).
    pub fn index_built(&self) -> bool {
        self.engine.get().is_some()
    }

    /// The index for decisions at `at` (`None`: now): this snapshot's own when it holds at
    /// that instant, else one built for it (`check --at`, or an index whose window passed
    /// while a caller held the snapshot).
    pub fn engine_at(&self, at: Option<time::OffsetDateTime>) -> EngineAt<'_> {
        let own = self.engine();
        if self.state.expiries.is_empty() {
            return EngineAt::Own(own);
        }
        let t = at.unwrap_or_else(crate::model::now);
        if own.window().holds_at(t) {
            EngineAt::Own(own)
        } else {
            EngineAt::Built(Box::new(Engine::build_at(&self.state, &self.catalogs, t)))
        }
    }

    /// Whether this snapshot's index, once built, no longer holds now (a relation in it ended).
    pub(super) fn index_outlived(&self) -> bool {
        !self.state.expiries.is_empty()
            && self
                .engine
                .get()
                .is_some_and(|e| !e.window().holds_at(crate::model::now()))
    }
}

/// An index for one instant: a snapshot's own, or one built for that instant.
pub enum EngineAt<'a> {
    /// The snapshot's index.
    Own(&'a Engine),
    /// Built for the instant asked.
    Built(Box<Engine>),
}

impl std::ops::Deref for EngineAt<'_> {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        match self {
            EngineAt::Own(e) => e,
            EngineAt::Built(e) => e,
        }
    }
}
