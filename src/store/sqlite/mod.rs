//! The embedded SQLite store (placeholder: implementation in progress).
