//! gatehouse: a terminal console, CLI and server for authorization administration — roles,
//! permissions, users and teams — over an embedded store, its own server (`gatehouse serve`),
//! or a Mage server.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod backend;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod engine;
pub mod model;
pub mod present;
pub mod presets;
pub mod server;
pub mod service;
pub mod store;
pub mod text;
pub mod tui;

/// Every allocation of the library and of the programs built on it (the `gatehouse` binary,
/// tests, benchmarks) goes through mimalloc: loading a store, building list rows and importing
/// allocate and free millions of small objects, where glibc's allocator spent a tenth of an
/// import's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
