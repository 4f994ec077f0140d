//! signon: coalition sign-on letters.
//!
//! Layers, each using only those below it: `cli` and `app` (wiring), `api` (JSON over HTTP),
//! `service` (use cases), `domain` (types valid by construction), and the `entity` and
//! `migration` crates (storage).

pub mod api;
pub mod app;
pub mod cli;
pub mod client;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod export;
pub mod http_cache;
pub mod i18n;
pub mod mail;
pub mod pages;
pub mod rate_limit;
pub mod service;
pub mod state;
pub mod telemetry;
