//! An organization's team: who is a member with which role; owners invite people by email,
//! change roles and remove members.

use entity::Role;
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path, Redirect};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::error::PageError;
use super::layout::{csrf_field, redirect_with_error, redirect_with_notice};
use super::session::Signed;
use crate::domain::{Email, FieldErrors, MAX_NAME_CHARS, bounded_text};
use crate::error::AppError;
use crate::i18n;
use crate::service::access::require_role_in;
use crate::service::members::{self, Invitation, Member};
use crate::state::AppState;

fn members_path(organization_id: i64) -> String {
    format!("/admin/organizations/{organization_id}/members")
}

fn role_word(page: &Signed, role: Role) -> &'static str {
    match role {
        Role::Viewer => page.t("Viewer", "Lectura"),
        Role::Editor => page.t("Editor", "Edición"),
        Role::Owner => page.t("Owner", "Responsable"),
    }
}

fn role_meaning(page: &Signed, role: Role) -> &'static str {
    match role {
        Role::Viewer => page.t(
            "reads the letters and downloads the public files",
            "lee las cartas y descarga los archivos públicos",
        ),
        Role::Editor => page.t(
            "also writes letters, moderates signatures, imports and sees contacts",
            "además escribe cartas, modera firmas, importa y ve los contactos",
        ),
        Role::Owner => page.t(
            "also manages the members",
            "además administra a los miembros",
        ),
    }
}

fn parse_role(value: Option<&str>) -> Result<Role, String> {
    match value.map(str::trim) {
        Some("viewer") => Ok(Role::Viewer),
        Some("editor") => Ok(Role::Editor),
        Some("owner") => Ok(Role::Owner),
        _ => Err("Choose a role.".into()),
    }
}

fn organization_name(page: &Signed, organization_id: i64) -> String {
    page.staff
        .memberships
        .iter()
        .find(|m| m.organization_id == organization_id)
        .map(|m| m.organization_name.clone())
        .unwrap_or_default()
}

/// `GET /admin/members`: the caller's organizations, or straight to the only one.
#[handler]
pub fn members_home(page: Signed) -> Response {
    if let [only] = page.staff.memberships.as_slice() {
        return Redirect::see_other(members_path(only.organization_id)).into_response();
    }
    let title = page.t("Members", "Miembros");
    super::layout::page(
        &page,
        title,
        html! {
            h1 { (title) }
            @if page.staff.memberships.is_empty() {
                p.notice { (page.t(
                    "Your account belongs to no organization yet. Ask an owner of your organization to add you.",
                    "Su cuenta aún no pertenece a ninguna organización. Pida a quien administra su organización que le agregue.",
                )) }
            } @else {
                p { (page.t("Choose an organization:", "Elija una organización:")) }
                ul {
                    @for membership in &page.staff.memberships {
                        li {
                            a href=(members_path(membership.organization_id)) { (membership.organization_name) }
                            " " span.meta { "(" (role_word(&page, membership.role)) ")" }
                        }
                    }
                }
            }
        },
    )
    .into_response()
}

/// The invitation form as typed, and what is wrong with it.
#[derive(Debug, Default, Deserialize)]
pub struct InviteForm {
    name: Option<String>,
    email: Option<String>,
    role: Option<String>,
}

/// `GET /admin/organizations/{org}/members`.
#[handler]
pub async fn members_page(
    state: Data<&AppState>,
    page: Signed,
    Path(organization_id): Path<i64>,
) -> Result<Markup, PageError> {
    let members = members::list(&state.db, &page.staff, organization_id).await?;
    Ok(render(
        &page,
        organization_id,
        &members,
        &InviteForm::default(),
        &FieldErrors::default(),
    ))
}

fn render(
    page: &Signed,
    organization_id: i64,
    members: &[Member],
    form: &InviteForm,
    errors: &FieldErrors,
) -> Markup {
    let organization = organization_name(page, organization_id);
    let is_owner = page.staff.role_in(organization_id) == Some(Role::Owner);
    let title = format!("{} · {organization}", page.t("Members", "Miembros"));
    super::layout::page(
        page,
        &title,
        html! {
            p.meta { a href="/admin" { "← " (page.t("All letters", "Todas las cartas")) } }
            h1 { (page.t("Members of", "Miembros de")) " " (organization) }
            ul.meta {
                @for role in [Role::Viewer, Role::Editor, Role::Owner] {
                    li { strong { (role_word(page, role)) } ": " (role_meaning(page, role)) }
                }
            }
            (members_table(page, organization_id, members, is_owner))
            @if is_owner {
                (invite_form(page, organization_id, form, errors))
            } @else {
                p.meta { (page.t(
                    "Only owners invite people, change roles and remove members.",
                    "Solo las personas responsables invitan, cambian roles y quitan miembros.",
                )) }
            }
        },
    )
}

fn members_table(
    page: &Signed,
    organization_id: i64,
    members: &[Member],
    is_owner: bool,
) -> Markup {
    let headings = [
        page.t("Name", "Nombre"),
        page.t("Email", "Correo electrónico"),
        page.t("Role", "Rol"),
        page.t("Change", "Cambiar"),
    ];
    html! {
        table.list {
            thead { tr {
                @for heading in &headings[..3] { th scope="col" { (heading) } }
                @if is_owner { th scope="col" { (headings[3]) } }
            } }
            tbody {
                @for member in members {
                    tr {
                        td data-label=(headings[0]) { (member.name) }
                        td data-label=(headings[1]) { (member.email) }
                        td data-label=(headings[2]) { span.badge { (role_word(page, member.role)) } }
                        @if is_owner {
                            td data-label=(headings[3]) { (member_actions(page, organization_id, member)) }
                        }
                    }
                }
            }
        }
    }
}

fn member_actions(page: &Signed, organization_id: i64, member: &Member) -> Markup {
    let base = format!("{}/{}", members_path(organization_id), member.user_id);
    let select_id = format!("role-{}", member.user_id);
    html! {
        div.actions {
            form method="post" action=(format!("{base}/role")) {
                (csrf_field(page))
                label for=(select_id) { (page.t("Role of", "Rol de")) " " (member.name) }
                select id=(select_id) name="role" {
                    @for role in [Role::Viewer, Role::Editor, Role::Owner] {
                        option value=(role_value(role)) selected[role == member.role] { (role_word(page, role)) }
                    }
                }
                " "
                button.secondary type="submit" { (page.t("Change the role", "Cambiar el rol")) }
            }
            form method="post" action=(format!("{base}/remove")) {
                (csrf_field(page))
                button.danger type="submit" { (page.t("Remove", "Quitar")) " " (member.name) }
            }
        }
    }
}

fn role_value(role: Role) -> &'static str {
    match role {
        Role::Viewer => "viewer",
        Role::Editor => "editor",
        Role::Owner => "owner",
    }
}

fn invite_form(
    page: &Signed,
    organization_id: i64,
    form: &InviteForm,
    errors: &FieldErrors,
) -> Markup {
    let error = |field: &str| {
        errors
            .as_map()
            .get(field)
            .map(|message| i18n::field_error(message, page.lang))
    };
    let field = |name: &str,
                 label: &str,
                 input_type: &str,
                 value: &Option<String>,
                 autocomplete: &str| {
        let message = error(name);
        let error_id = format!("invite-{name}-error");
        html! {
            div.field.invalid[message.is_some()] {
                label for=(format!("invite-{name}")) { (label) }
                @if let Some(message) = &message { span.error id=(error_id) { (message) } }
                input type=(input_type) id=(format!("invite-{name}")) name=(name) required maxlength="300"
                    value=(value.as_deref().unwrap_or_default()) autocomplete=(autocomplete)
                    aria-invalid=[message.as_ref().map(|_| "true")]
                    aria-describedby=[message.as_ref().map(|_| error_id.as_str())];
            }
        }
    };
    let role_error = error("role");
    let chosen = parse_role(form.role.as_deref()).unwrap_or(Role::Editor);
    html! {
        section.card {
            h2 { (page.t("Invite someone", "Invitar a alguien")) }
            p { (page.t(
                "Someone new gets an email with a link to choose their own password; someone who already has an account here joins at once.",
                "Quien es nuevo recibe un correo con un enlace para elegir su propia contraseña; quien ya tiene una cuenta aquí se une de inmediato.",
            )) }
            @if !errors.is_empty() {
                div.errors role="alert" { p { (page.t("Please correct the marked fields.", "Corrija los campos marcados.")) } }
            }
            form method="post" action=(members_path(organization_id)) novalidate {
                (csrf_field(page))
                (field("name", page.t("Name", "Nombre"), "text", &form.name, "off"))
                (field("email", page.t("Email", "Correo electrónico"), "email", &form.email, "off"))
                div.field.invalid[role_error.is_some()] {
                    label for="invite-role" { (page.t("Role", "Rol")) }
                    @if let Some(message) = &role_error { span.error id="invite-role-error" { (message) } }
                    select id="invite-role" name="role" aria-invalid=[role_error.as_ref().map(|_| "true")]
                        aria-describedby=[role_error.as_ref().map(|_| "invite-role-error")] {
                        @for role in [Role::Viewer, Role::Editor, Role::Owner] {
                            option value=(role_value(role)) selected[role == chosen] {
                                (role_word(page, role)) ": " (role_meaning(page, role))
                            }
                        }
                    }
                }
                button type="submit" { (page.t("Send the invitation", "Enviar la invitación")) }
            }
        }
    }
}

/// `POST /admin/organizations/{org}/members`: invites someone (owners only).
#[handler]
pub async fn invite(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path(organization_id): Path<i64>,
    Form(form): Form<InviteForm>,
) -> Result<Response, PageError> {
    require_role_in(&page.staff, organization_id, Role::Owner)?;
    let mut errors = FieldErrors::default();
    let name = errors.check(
        "name",
        bounded_text(form.name.as_deref().unwrap_or_default(), MAX_NAME_CHARS),
    );
    let email = errors.check(
        "email",
        Email::parse(form.email.as_deref().unwrap_or_default()),
    );
    let role = errors.check("role", parse_role(form.role.as_deref()));
    let refused = async |errors: FieldErrors, status: StatusCode| {
        let members = members::list(&state.db, &page.staff, organization_id).await?;
        let shown = render(&page, organization_id, &members, &form, &errors);
        Ok::<_, PageError>((status, shown).into_response())
    };
    let (Some(name), Some(email), Some(role)) = (name, email, role) else {
        return refused(errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let invitation = Invitation { email, name, role };
    let invited = members::invite(
        &state.db,
        &state.keys,
        &page.staff,
        organization_id,
        invitation,
        &state.base_url,
        page.lang,
    )
    .await;
    match invited {
        Ok(invited) => {
            let who = &invited.member;
            let text = match (invited.new_account, page.lang) {
                (true, entity::Language::En) => format!(
                    "{} was invited: we emailed {} a link to choose a password.",
                    who.name, who.email
                ),
                (true, entity::Language::Es) => format!(
                    "Se invitó a {}: le enviamos a {} un enlace para elegir su contraseña.",
                    who.name, who.email
                ),
                (false, entity::Language::En) => {
                    format!("{} already had an account and is now a member.", who.name)
                }
                (false, entity::Language::Es) => {
                    format!("{} ya tenía una cuenta y ahora es miembro.", who.name)
                }
            };
            Ok(redirect_with_notice(
                jar,
                &page,
                &members_path(organization_id),
                text,
            ))
        }
        Err(AppError::Invalid { fields, .. }) => {
            refused(fields, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict {
            message,
            field: Some(field),
        }) => {
            let mut errors = FieldErrors::default();
            errors.add(&field, message);
            refused(errors, StatusCode::CONFLICT).await
        }
        Err(err) => Err(err.into()),
    }
}

/// The new role as posted.
#[derive(Debug, Default, Deserialize)]
pub struct RoleForm {
    role: Option<String>,
}

/// `POST /admin/organizations/{org}/members/{user}/role` (owners only).
#[handler]
pub async fn change_role(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path((organization_id, user_id)): Path<(i64, i64)>,
    Form(form): Form<RoleForm>,
) -> Result<Response, PageError> {
    require_role_in(&page.staff, organization_id, Role::Owner)?;
    let back = members_path(organization_id);
    let role = parse_role(form.role.as_deref())
        .map_err(|message| AppError::invalid_field("role", message))?;
    match members::set_role(&state.db, &page.staff, organization_id, user_id, role).await {
        Ok(member) => {
            let text = format!("{}: {}", member.name, role_word(&page, member.role));
            Ok(redirect_with_notice(jar, &page, &back, text))
        }
        Err(AppError::Conflict { message, .. }) => {
            Ok(redirect_with_error(jar, &page, &back, message))
        }
        Err(err) => Err(err.into()),
    }
}

/// `POST /admin/organizations/{org}/members/{user}/remove` (owners only).
#[handler]
pub async fn remove(
    state: Data<&AppState>,
    page: Signed,
    jar: &CookieJar,
    Path((organization_id, user_id)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    require_role_in(&page.staff, organization_id, Role::Owner)?;
    let back = members_path(organization_id);
    match members::remove(&state.db, &page.staff, organization_id, user_id).await {
        Ok(()) => {
            let text = page.t("The member was removed.", "Se quitó al miembro.");
            // Who removed themselves can no longer see the list.
            let next = if user_id == page.staff.user_id {
                "/admin"
            } else {
                &back
            };
            Ok(redirect_with_notice(jar, &page, next, text))
        }
        Err(AppError::Conflict { message, .. }) => {
            Ok(redirect_with_error(jar, &page, &back, message))
        }
        Err(err) => Err(err.into()),
    }
}
