//! gatehouse: a terminal console, CLI and server for authorization administration — roles,
//! permissions, users and teams — over an embedded store, its own server (`gatehouse serve`),
//! or a Mage server.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backend;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod connect;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
pub mod keys;
pub mod model;
pub mod policy;
pub mod present;
pub mod presets;
pub mod server;
pub mod service;
pub mod store;
pub mod text;
pub mod tui;
pub mod wire;

// Allocation goes through the system allocator (glibc's on Linux). mimalloc was used until
// 2026-12-05: it kept ~60 MiB of freed memory resident in a console holding a million
// permissions (it purges lazily, and its purge leaves pages counted in RSS until the kernel
// takes them back), which put the console over docs/PRODUCT.md §5's 300 MB; glibc hands large blocks back
// when they are freed. Measured on the same machine (BENCHMARKS.md): console 335/355 → 273/290
// MiB warm/cold, import of 1M permissions 12.8 → 15.0 s, first frame at 100k users unchanged.
