//! The three implementations of [`Backend`](crate::backend::Backend), and how each is opened:
//! [`LocalBackend`] (the service and a store in process: embedded SQLite or PostgreSQL),
//! [`HttpBackend`] (a `gatehouse serve` server, through `crate::wire`) and [`MageBackend`] (a
//! Mage server through its REST API). The console and the CLI pick one here and then talk to
//! the trait only.

mod http;
mod local;
pub mod mage;

pub(crate) use http::is_loopback;
pub use http::{HttpBackend, PlainHttp};
pub use local::{LocalBackend, default_db_path};
pub use mage::MageBackend;
