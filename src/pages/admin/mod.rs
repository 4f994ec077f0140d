//! The coordinators' dashboard: HTML pages under `/admin`, server-rendered like the public
//! pages and usable without JavaScript. Pages parse input and show results; every rule lives in
//! `service/` and `domain/`, which the JSON API uses too, so the two never disagree.
//!
//! Every page goes through [`session::guard`] (language, session, anti-forgery checks) and takes
//! a [`session::Signed`] when it needs a signed-in staff member.

mod account;
mod audit;
mod auth;
pub mod error;
mod exports;
mod import;
mod invitations;
pub mod layout;
mod letter;
mod letter_form;
mod letters;
mod members;
mod partners;
pub mod session;
mod share;
mod signature_actions;
mod signature_entry;
mod signature_forms;
mod signature_merge;
mod signatures;

pub use error::PageError;
pub use session::{PageContext, Signed};

use poem::middleware::{CookieJarManager, SetHeader};
use poem::{EndpointExt, Route, get, post};

/// The dashboard's routes, behind the session guard, with headers that keep its pages out of
/// frames and the tokens in its addresses out of other sites' Referer headers. Unlike the public
/// pages' `no-referrer`, `same-origin` lets the browser name the page's origin on its own form
/// posts (with `no-referrer` it sends `Origin: null`), which the anti-forgery check relies on.
pub fn routes() -> impl poem::Endpoint {
    let security = SetHeader::new()
        .overriding("X-Content-Type-Options", "nosniff")
        .overriding("Referrer-Policy", "same-origin")
        .overriding("X-Frame-Options", "DENY")
        .overriding(
            "Content-Security-Policy",
            "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; script-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        );
    let routes = sign_in_routes(Route::new().at("/", get(letters::home)));
    let routes = moderation_routes(letter_routes(routes));
    organization_routes(routes)
        .around(session::guard)
        .with(CookieJarManager::new())
        .with(security)
}

/// Signing in and out, and choosing a password through an emailed link.
fn sign_in_routes(routes: Route) -> Route {
    routes
        .at("/login", get(auth::login_page).post(auth::login))
        .at("/logout", post(auth::logout))
        .at("/forgot", get(auth::forgot_page).post(auth::forgot))
        .at(
            "/password/:token",
            get(auth::password_page).post(auth::set_password),
        )
}

/// One letter: writing it, its overview and status, sharing it, its import, exports and history.
fn letter_routes(routes: Route) -> Route {
    routes
        // One letter: writing it, its overview and status, sharing it.
        .at(
            "/letters/new",
            get(letter_form::new_page).post(letter_form::create),
        )
        .at("/letters/:id", get(letter::overview))
        .at(
            "/letters/:id/edit",
            get(letter_form::edit_page).post(letter_form::update),
        )
        .at(
            "/letters/:id/status",
            get(letter::confirm_status).post(letter::set_status),
        )
        .at("/letters/:id/coordinators", post(letter::add_coordinator))
        .at(
            "/letters/:id/coordinators/:organization/remove",
            post(letter::remove_coordinator),
        )
        .at("/letters/:id/share", get(share::share_page))
        .at("/letters/:id/qr.svg", get(share::qr_download))
        // A letter's import, exports and history.
        .at(
            "/letters/:id/import",
            get(import::import_page).post(import::preview),
        )
        .at("/letters/:id/import/confirm", post(import::confirm))
        .at("/letters/:id/exports", get(exports::exports_page))
        .at("/letters/:id/download/:file", get(exports::download))
        .at("/letters/:id/audit", get(audit::audit_page))
        // Personal invitations and reminders.
        .at(
            "/letters/:id/invitations",
            get(invitations::invitations_page).post(invitations::add),
        )
        .at("/letters/:id/invitations/upload", post(invitations::upload))
        .at(
            "/letters/:id/invitations/reminders",
            post(invitations::set_reminders),
        )
        // Partner links and the embeddable form.
        .at(
            "/letters/:id/partners",
            get(partners::partners_page).post(partners::create),
        )
}

/// Organizations' members.
fn organization_routes(routes: Route) -> Route {
    routes
        // One's own settings.
        .at(
            "/account",
            get(account::account_page).post(account::save_account),
        )
        // Organizations' members.
        .at("/members", get(members::members_home))
        .at(
            "/organizations/:org/members",
            get(members::members_page).post(members::invite),
        )
        .at(
            "/organizations/:org/members/:user/role",
            post(members::change_role),
        )
        .at(
            "/organizations/:org/members/:user/remove",
            post(members::remove),
        )
}

/// The moderation queue of a letter and what moderators do from it.
fn moderation_routes(routes: Route) -> Route {
    routes
        // The moderation queue of a letter and what moderators do from it.
        .at("/letters/:id/signatures", get(signatures::queue))
        .at(
            "/letters/:id/signatures/approve",
            post(signature_actions::approve_selected),
        )
        .at(
            "/letters/:id/signatures/new",
            get(signature_forms::add_page).post(signature_forms::add),
        )
        .at(
            "/letters/:id/signatures/:sid/approve",
            post(signature_actions::approve),
        )
        .at(
            "/letters/:id/signatures/:sid/reject",
            post(signature_actions::reject),
        )
        .at(
            "/letters/:id/signatures/:sid/verify",
            post(signature_actions::verify_by_phone),
        )
        .at(
            "/letters/:id/signatures/:sid/lead",
            post(signature_actions::set_lead),
        )
        .at(
            "/letters/:id/signatures/:sid/edit",
            get(signature_forms::edit_page).post(signature_forms::edit),
        )
        .at(
            "/letters/:id/signatures/:sid/merge",
            get(signature_merge::merge_page).post(signature_merge::merge),
        )
        .at(
            "/letters/:id/signatures/:sid/erase",
            get(signature_actions::erase_page).post(signature_actions::erase),
        )
}
