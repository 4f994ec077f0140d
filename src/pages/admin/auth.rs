//! Signing in and out of the dashboard, and choosing a password through an emailed link
//! (a forgotten password, or a new member's first one).

use maud::{Markup, html};
use poem::http::{StatusCode, header};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path, Query, Redirect};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::error::PageError;
use super::layout::{csrf_field, page, redirect_with_notice};
use super::session::{PageContext, Signed, clear_session, set_session};
use crate::client::ClientInfo;
use crate::domain::Password;
use crate::error::AppError;
use crate::service::accounts::{self, TokenKind};
use crate::service::password_links::{self, Purpose};
use crate::state::AppState;

/// Where to go after signing in: only a dashboard page of this site, never another site.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with("/admin")
                && !path.starts_with("/admin/login")
                && !path.contains("//")
                && !path.contains('\\') =>
        {
            path
        }
        _ => "/admin",
    }
}

/// `?next=` on the sign-in page.
#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The sign-in form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct SignInForm {
    email: Option<String>,
    password: Option<String>,
    next: Option<String>,
}

fn sign_in_form(ctx: &PageContext, email: &str, next: &str, error: Option<&str>) -> Markup {
    let title = ctx.t("Sign in", "Iniciar sesión");
    page(
        ctx,
        title,
        html! {
            h1 { (title) }
            p { (ctx.t("The dashboard of the coordinating organizations.", "El panel de las organizaciones coordinadoras.")) }
            @if let Some(error) = error {
                div.errors role="alert" id="errors" { p { (error) } }
            }
            form method="post" action="/admin/login" {
                (csrf_field(ctx))
                input type="hidden" name="next" value=(next);
                div.field {
                    label for="email" { (ctx.t("Email", "Correo electrónico")) }
                    input type="email" id="email" name="email" value=(email) required autocomplete="username"
                        aria-describedby=[error.map(|_| "errors")];
                }
                div.field {
                    label for="password" { (ctx.t("Password", "Contraseña")) }
                    input type="password" id="password" name="password" required autocomplete="current-password"
                        style="width:100%;font:inherit;padding:.55rem .6rem;border:1px solid #888;border-radius:4px";
                }
                button type="submit" { (title) }
            }
            p { a href="/admin/forgot" { (ctx.t("Forgot your password?", "¿Olvidó su contraseña?")) } }
        },
    )
}

/// `GET /admin/login`.
#[handler]
pub fn login_page(ctx: PageContext, Query(query): Query<NextQuery>) -> Response {
    let next = safe_next(query.next.as_deref());
    if ctx.staff.is_some() {
        return Redirect::see_other(next).into_response();
    }
    sign_in_form(&ctx, "", next, None).into_response()
}

/// `POST /admin/login`: a session cookie and the page asked for, or the form again. Attempts
/// are limited per account and per network, like the API's login.
#[handler]
pub async fn login(
    state: Data<&AppState>,
    ctx: PageContext,
    req: &Request,
    jar: &CookieJar,
    Form(form): Form<SignInForm>,
) -> Result<Response, PageError> {
    let email = form.email.unwrap_or_default();
    let next = safe_next(form.next.as_deref()).to_owned();
    if let Err(wait) = state.login_limit.check(&email, ClientInfo::of(req).ip) {
        let message = ctx.t(
            "Too many sign-in attempts. Please wait a few minutes and try again.",
            "Demasiados intentos. Espere unos minutos e intente de nuevo.",
        );
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            sign_in_form(&ctx, &email, &next, Some(message)),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, wait.as_secs().max(1).into());
        return Ok(response);
    }
    let issued = accounts::login(
        &state.db,
        &email,
        form.password.as_deref().unwrap_or_default(),
        TokenKind::Session,
        state.settings.session_lifetime,
    )
    .await;
    match issued {
        Ok(issued) => {
            set_session(jar, ctx.secure, issued.token.expose());
            Ok(Redirect::see_other(next).into_response())
        }
        Err(AppError::Unauthorized(_)) => {
            let message = ctx.t(
                "Invalid email or password.",
                "Correo o contraseña incorrectos.",
            );
            Ok((
                StatusCode::UNAUTHORIZED,
                sign_in_form(&ctx, &email, &next, Some(message)),
            )
                .into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// `POST /admin/logout`: the session stops working at once.
#[handler]
pub async fn logout(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
) -> Result<Response, PageError> {
    accounts::logout(&state.db, &page.staff).await?;
    clear_session(jar, page.secure);
    Ok(redirect_with_notice(
        jar,
        &page,
        "/admin/login",
        page.t("You are signed out.", "Cerró la sesión."),
    ))
}

/// The "forgot password" form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct ForgotForm {
    email: Option<String>,
}

/// `GET /admin/forgot`.
#[handler]
pub fn forgot_page(ctx: PageContext) -> Markup {
    let title = ctx.t("Forgot your password?", "¿Olvidó su contraseña?");
    page(
        &ctx,
        title,
        html! {
            h1 { (title) }
            p { (ctx.t("We will email you a link to choose a new password.", "Le enviaremos por correo un enlace para elegir una nueva contraseña.")) }
            form method="post" action="/admin/forgot" {
                (csrf_field(&ctx))
                div.field {
                    label for="email" { (ctx.t("Email", "Correo electrónico")) }
                    input type="email" id="email" name="email" required autocomplete="username";
                }
                button type="submit" { (ctx.t("Send the link", "Enviar el enlace")) }
            }
            p { a href="/admin/login" { (ctx.t("Back to sign in", "Volver a iniciar sesión")) } }
        },
    )
}

/// `POST /admin/forgot`: the same answer whether or not the account exists.
#[handler]
pub async fn forgot(
    state: Data<&AppState>,
    ctx: PageContext,
    req: &Request,
    Form(form): Form<ForgotForm>,
) -> Result<Response, PageError> {
    let email = form.email.unwrap_or_default();
    let title = ctx.t("Check your email", "Revise su correo");
    if state
        .login_limit
        .check(&email, ClientInfo::of(req).ip)
        .is_ok()
    {
        password_links::request_reset(&state.db, &state.keys, &email, &state.base_url, ctx.lang)
            .await?;
    }
    Ok(page(
        &ctx,
        title,
        html! {
            h1 { (title) }
            div.ok role="status" {
                p { (ctx.t(
                    "If an account exists for this address, we sent it a link to choose a new password. The link works once, for one hour.",
                    "Si existe una cuenta con esta dirección, le enviamos un enlace para elegir una nueva contraseña. El enlace funciona una sola vez, durante una hora.",
                )) }
            }
            p { a href="/admin/login" { (ctx.t("Back to sign in", "Volver a iniciar sesión")) } }
        },
    )
    .into_response())
}

/// The new password as posted.
#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    password: Option<String>,
    confirm: Option<String>,
}

fn password_form(
    ctx: &PageContext,
    token: &str,
    holder: &password_links::LinkHolder,
    error: Option<&str>,
) -> Markup {
    let title = match holder.purpose {
        Purpose::Invite => ctx.t(
            "Welcome: choose your password",
            "Bienvenida: elija su contraseña",
        ),
        Purpose::Reset => ctx.t("Choose a new password", "Elija una nueva contraseña"),
    };
    let input_style =
        "width:100%;font:inherit;padding:.55rem .6rem;border:1px solid #888;border-radius:4px";
    page(
        ctx,
        title,
        html! {
            h1 { (title) }
            p { (holder.name) " · " (holder.email) }
            @if let Some(error) = error { div.errors role="alert" id="errors" { p { (error) } } }
            form method="post" action=(format!("/admin/password/{token}")) {
                (csrf_field(ctx))
                div.field {
                    label for="password" {
                        (ctx.t("New password", "Nueva contraseña"))
                        span.hint { (ctx.t("At least 10 characters; a few words in a row are easy to remember.", "Al menos 10 caracteres; unas cuantas palabras seguidas son fáciles de recordar.")) }
                    }
                    input type="password" id="password" name="password" required minlength="10" autocomplete="new-password" style=(input_style)
                        aria-describedby=[error.map(|_| "errors")];
                }
                div.field {
                    label for="confirm" { (ctx.t("The same password again", "La misma contraseña otra vez")) }
                    input type="password" id="confirm" name="confirm" required autocomplete="new-password" style=(input_style);
                }
                button type="submit" { (ctx.t("Save the password", "Guardar la contraseña")) }
            }
        },
    )
}

/// `GET /admin/password/{token}`: the form, while the link works.
#[handler]
pub async fn password_page(
    state: Data<&AppState>,
    ctx: PageContext,
    Path(token): Path<String>,
) -> Result<Markup, PageError> {
    let holder = password_links::inspect(&state.db, &token).await?;
    Ok(password_form(&ctx, &token, &holder, None))
}

/// `POST /admin/password/{token}`: sets the password; the link stops working.
#[handler]
pub async fn set_password(
    state: Data<&AppState>,
    ctx: PageContext,
    jar: &CookieJar,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let holder = password_links::inspect(&state.db, &token).await?;
    let typed = form.password.unwrap_or_default();
    let problem = if Some(&typed) != form.confirm.as_ref() {
        Some(
            ctx.t(
                "The two passwords differ.",
                "Las dos contraseñas no coinciden.",
            )
            .to_owned(),
        )
    } else {
        Password::parse(typed.clone())
            .err()
            .map(|message| match ctx.lang {
                entity::Language::En => message,
                entity::Language::Es => {
                    "La contraseña debe tener entre 10 y 1024 caracteres.".into()
                }
            })
    };
    if let Some(problem) = problem {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            password_form(&ctx, &token, &holder, Some(&problem)),
        )
            .into_response());
    }
    let password = Password::parse(typed).map_err(|m| AppError::invalid_field("password", m))?;
    password_links::set_password(&state.db, &token, password).await?;
    Ok(redirect_with_notice(
        jar,
        &ctx,
        "/admin/login",
        ctx.t(
            "Your password is saved. Sign in with it.",
            "Su contraseña quedó guardada. Inicie sesión con ella.",
        ),
    ))
}
