//! Every integration test in one binary (one link instead of forty; see the README's Tests
//! section). Each module is what used to be its own `tests/*.rs` target; `support`,
//! `cli_support`, `mage_support` and `tui_support` are shared helpers.
//!
//! Run one area with a filter: `cargo test --test it tui_pty::`.

// Tests may unwrap, expect and panic (the crate's [lints] deny them in the product).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_completions;
mod cli_support;
mod cli_what_if;
mod cli_what_if_backends;
mod mage_support;
mod support;
mod tls_support;
mod tui_support;

mod apply_tx;
mod cli;
mod cli_apply;
mod cli_apply_pty;
mod cli_assertions;
mod cli_check_attr;
mod cli_errors;
mod cli_expiry;
mod cli_fields;
mod cli_help;
mod cli_json_contract;
mod cli_json_keys;
mod cli_listing;
mod cli_no_store;
mod cli_pipe;
mod cli_plain_http;
mod cli_plan;
mod cli_policy;
mod cli_postgres;
mod config;
mod crash_safety;
mod engine_props;
mod engine_props_expiry;
mod engine_props_mage;
mod escalation;
mod escalation_props;
mod fuzz_corpus;
mod http_client;
mod layers;
mod live;
mod mage_apply;
mod mage_defaults;
mod mage_fidelity;
mod mage_fidelity_calls;
mod mage_fields_live;
mod mage_import;
mod mage_live;
mod mage_reads;
mod mage_session;
mod mage_tui;
mod packaging;
mod presets;
mod profiles;
mod replicas;
mod serve_process;
mod serve_tls;
mod server;
mod server_auth;
mod server_cli;
mod server_expiry;
mod server_hardening;
mod server_load;
mod server_openapi;
mod server_ops;
mod server_ops_log;
mod server_pagination;
mod server_tls;
mod store_conformance;
mod store_postgres;
mod store_sqlite;
mod tui;
mod tui_ends;
mod tui_fields;
mod tui_flows;
mod tui_forms;
mod tui_keys;
mod tui_layout;
mod tui_live;
mod tui_msgs;
mod tui_pty;
mod tui_review;
mod tui_save_check;
mod tui_scroll;
