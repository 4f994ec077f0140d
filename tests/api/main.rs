//! Black-box tests: the real service on a random port over a fresh database per test, on
//! SQLite always; the PostgreSQL arms are ignored unless run with `--include-ignored`, and then
//! need `SIGNON_TEST_POSTGRES` to name a server.

#[macro_use]
mod helpers;

mod access_matrix;
mod admin;
mod admin_audit;
mod admin_exports;
mod admin_import;
mod admin_letters;
mod admin_members;
mod admin_signatures;
mod auth;
mod backup;
mod browser;
mod changes;
// Shared with the benchmarks: see its header.
#[path = "../../benches/support/server.rs"]
mod child_server;
mod cli;
mod crash;
mod delivery;
mod digest;
mod encryption;
mod erasure;
mod errors;
mod exports;
mod imports;
mod invitation_mail;
mod invitations;
mod letters;
mod members;
mod migrations;
mod moderation;
mod openapi;
mod outbox;
mod pages;
mod partners;
mod public;
mod public_cache;
mod races;
mod security;
mod signing;
mod smtp;
