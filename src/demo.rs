//! `serve --demo`: on an empty database, a demo coordinator and an open sample letter with a
//! few hundred fictional signatories, so a newcomer sees every page at once.

use entity::{Language, LetterStatus, ListOrder, Role, user};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::domain::{Email, Password, Slug, Token, Translation};
use crate::error::AppResult;
use crate::service::accounts::{self, NewStaff};
use crate::service::import;
use crate::service::letters::{self, LetterChanges, NewLetter};
use crate::service::signing::SigningContext;

/// The demo coordinator's login email.
pub const DEMO_EMAIL: &str = "demo@example.org";
/// The sample letter's slug.
pub const DEMO_SLUG: &str = "demo-letter";

/// What was created, to print once.
pub struct DemoLogin {
    /// The login email.
    pub email: String,
    /// The generated password.
    pub password: String,
    /// How many signatories the sample letter has.
    pub signatories: usize,
}

const PLACES: [(&str, &str); 12] = [
    ("Tijuana", "MX"),
    ("Ciudad Juárez", "MX"),
    ("Oaxaca", "MX"),
    ("San Pedro Sula", "HN"),
    ("Quetzaltenango", "GT"),
    ("San Salvador", "SV"),
    ("El Paso", "US"),
    ("Tucson", "US"),
    ("Bogotá", "CO"),
    ("Madrid", "ES"),
    ("Port-au-Prince", "HT"),
    ("São Paulo", "BR"),
];
const FIRST: [&str; 12] = [
    "Casa",
    "Red",
    "Colectivo",
    "Centro",
    "Frente",
    "Alianza",
    "Comité",
    "Coalición",
    "Instituto",
    "Fundación",
    "Observatorio",
    "Asamblea",
];
const SECOND: [&str; 12] = [
    "de Derechos Humanos",
    "Migrante",
    "por la Dignidad",
    "de Apoyo al Refugiado",
    "Fronterizo",
    "Solidario",
    "de Mujeres",
    "Jurídico",
    "Pastoral",
    "Comunitario",
    "por la Paz",
    "de Acogida",
];
const PEOPLE: [&str; 10] = [
    "Ana Lucía Méndez",
    "José Ángel Núñez",
    "Marie-Ève Pierre",
    "Joanna Łukasik",
    "Chidi Okafor",
    "Sarah O'Connor",
    "Thảo Nguyễn",
    "Jürgen Müller",
    "Fatima Zahra El Idrissi",
    "Lucas Gonçalves",
];
const TYPES: [&str; 4] = ["Shelter", "Legal aid", "Faith-based", "Network"];

/// Creates the demo data when the database has no staff account yet; `None` when it has.
pub async fn seed(db: &DatabaseConnection, ctx: &SigningContext) -> AppResult<Option<DemoLogin>> {
    if user::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let password = Token::generate().expose()[..20].to_owned();
    let user_id = accounts::add_staff(
        db,
        NewStaff {
            email: Email::parse(DEMO_EMAIL).expect("a valid literal email"),
            name: "Demo Coordinator".into(),
            organization: "Demo Coalition for Migrant Rights".into(),
            role: Role::Owner,
            password: Password::parse(password.clone()).expect("a long enough generated password"),
        },
    )
    .await?;
    let staff = accounts::staff_by_id(db, user_id).await?;
    let english_body = "Dear President,\n\nWe, the undersigned **organizations and individuals**, write to express our deep concern about asylum seekers returned to dangerous border cities while their cases are decided.\n\nWe urge you to:\n\n- guarantee access to legal counsel;\n- protect families waiting at the border;\n- publish regular data on returns.\n\nSincerely,";
    let spanish_body = "Estimado Presidente:\n\nLas **organizaciones y personas** firmantes expresamos nuestra profunda preocupación por las personas solicitantes de asilo devueltas a ciudades fronterizas peligrosas mientras se resuelven sus casos.\n\nLe pedimos:\n\n- garantizar el acceso a asesoría legal;\n- proteger a las familias que esperan en la frontera;\n- publicar datos periódicos sobre las devoluciones.\n\nAtentamente,";
    let view = letters::create(db, &staff, NewLetter {
        organization_id: None,
        slug: Slug::parse(DEMO_SLUG).expect("a valid literal slug"),
        title: "Letter on the protection of asylum seekers at the border".into(),
        settings: LetterChanges {
            body: Some(english_body.into()),
            addressees: Some("The President of the Republic".into()),
            accept_individuals: Some(true),
            list_order: Some(ListOrder::Alphabetical),
            language: Some(Language::En),
            translations: Some(
                [(
                    Language::Es,
                    Translation::parse(
                        "Carta sobre la protección de las personas solicitantes de asilo en la frontera",
                        spanish_body,
                        "Al Presidente de la República",
                    )
                    .expect("a valid literal translation"),
                )]
                .into(),
            ),
            ..Default::default()
        },
    })
    .await?;
    letters::set_status(db, ctx, &staff, view.letter.id, LetterStatus::Open).await?;
    let csv = signatories_csv();
    let letter = letters::find_by_slug(db, DEMO_SLUG).await?;
    let options = import::ImportOptions {
        dry_run: false,
        max_rows: usize::MAX,
    };
    let report = import::import(
        db,
        &ctx.keys,
        Some(&staff),
        &letter,
        csv.into_bytes(),
        options,
        import::no_progress(),
    )
    .await?;
    Ok(Some(DemoLogin {
        email: DEMO_EMAIL.into(),
        password,
        signatories: report.imported(),
    }))
}

/// A few hundred fictional signatories, organizations and individuals, in several countries.
fn signatories_csv() -> String {
    let mut csv = String::from("kind,name,affiliation,org_type,city,country\n");
    for (i, first) in FIRST.iter().enumerate() {
        for (j, second) in SECOND.iter().enumerate() {
            for (k, (city, country)) in PLACES
                .iter()
                .enumerate()
                .filter(|(k, _)| (i + j + k) % 6 == 0)
            {
                let kind_of = TYPES[(i + j + k) % TYPES.len()];
                csv.push_str(&format!(
                    "organization,{first} {second} {city},,{kind_of},{city},{country}\n"
                ));
            }
        }
    }
    for (i, person) in PEOPLE.iter().enumerate() {
        let (city, country) = PLACES[i % PLACES.len()];
        csv.push_str(&format!(
            "individual,{person},Universidad de {city},,{city},{country}\n"
        ));
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::signatories_csv;

    #[test]
    fn the_sample_list_has_a_few_hundred_distinct_signatories() {
        let csv = signatories_csv();
        let names: std::collections::HashSet<&str> = csv
            .lines()
            .skip(1)
            .map(|line| line.split(',').nth(1).unwrap())
            .collect();
        assert!(
            (200..=400).contains(&names.len()),
            "{} signatories",
            names.len()
        );
        assert_eq!(names.len(), csv.lines().count() - 1, "no two share a name");
    }
}
