//! Where the keys come from, and keeping the database consistent with them.
//!
//! Keys are read from the environment (`SIGNON_SECRET_KEY`, `SIGNON_DATA_KEY`) or else from
//! the key file ([`super::key_file`]), which the first run creates. The database holds no key,
//! only their short names (the `key_ids` row of `server_secrets`), so that a process started
//! with other keys, or without them, refuses to run instead of writing contact data that no one
//! could read together with the rest. Databases from before encryption at rest kept the lookup
//! key in `server_secrets`: the first start moves it to the key file, deletes the row and
//! encrypts the contact data they hold.

use anyhow::{Context, bail};
use chrono::Utc;
use entity::server_secret;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, QuerySelect};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::contact;
use super::key_file::{self, KeyFileContents, LockMode};
use super::keys::{DataKeyBytes, Keys, generate_data_key, parse_data_key};
use crate::config::KeySettings;
use crate::domain::Token;

/// The row in which databases from before encryption at rest kept the lookup key.
const LEGACY_LOOKUP_KEY: &str = "lookup_key";
/// The row naming the keys this database's data is written with.
const KEY_IDS: &str = "key_ids";

/// The short names of the keys in use, as recorded in the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct KeyIds {
    /// The lookup key.
    lookup: String,
    /// The data key that all contact data is (or, during a rotation, is being) encrypted with.
    data: String,
    /// Whether contact data written before encryption at rest has been encrypted.
    sealed: bool,
}

/// The keys as configured: the environment's and the key file's.
struct Configured {
    /// The key file, unless the environment gives every key.
    path: Option<std::path::PathBuf>,
    lock: Option<std::fs::File>,
    file: Option<KeyFileContents>,
    env_secret: Option<SecretString>,
    env_data: Option<Vec<DataKeyBytes>>,
}

fn configured(
    database_url: &str,
    settings: &KeySettings,
    mode: LockMode,
) -> anyhow::Result<Configured> {
    let env_data = settings
        .data_key
        .as_ref()
        .map(|keys| {
            keys.expose_secret()
                .split(',')
                .map(|key| parse_data_key(key).context("SIGNON_DATA_KEY"))
                .collect::<anyhow::Result<Vec<_>>>()
        })
        .transpose()?;
    let env_secret = settings
        .secret_key
        .clone()
        .filter(|secret| !secret.expose_secret().is_empty());
    if env_secret.is_some() && env_data.is_some() {
        return Ok(Configured {
            path: None,
            lock: None,
            file: None,
            env_secret,
            env_data,
        });
    }
    let path = settings
        .key_file
        .clone()
        .unwrap_or_else(|| key_file::default_path(database_url));
    // Without a key file there is nothing to rotate, so nothing to lock yet: a start that is
    // refused leaves nothing behind.
    let lock = if path.exists() {
        Some(key_file::lock(&path, mode)?)
    } else {
        None
    };
    let file = key_file::read(&path)?;
    Ok(Configured {
        path: Some(path),
        lock,
        file,
        env_secret,
        env_data,
    })
}

/// The keys for a process that serves, imports, exports or erases: from the environment or the
/// key file, created with new keys on first run. Refuses when the database holds contact data
/// under other keys than those.
pub async fn load(
    db: &DatabaseConnection,
    database_url: &str,
    settings: &KeySettings,
) -> anyhow::Result<Keys> {
    let mut configured = configured(database_url, settings, LockMode::Shared)?;
    let legacy = legacy_lookup_key(db).await?;
    let recorded = read_ids(db).await?;
    let file = configured.file.take().unwrap_or_default();
    let secret_in_file = file.secret_key.is_some();
    let secret = configured
        .env_secret
        .clone()
        .or(file.secret_key.clone())
        .or(legacy.clone());
    let data = configured
        .env_data
        .take()
        .or((!file.data_keys.is_empty()).then_some(file.data_keys));
    let path = configured.path.clone();
    if (secret.is_none() || data.is_none()) && recorded.is_some() && holds_contacts(db).await? {
        bail!(
            "this database holds contact data encrypted with keys that are not given: {}; restore the key file from your backup, or set SIGNON_SECRET_KEY and SIGNON_DATA_KEY",
            match &path {
                Some(path) => format!("the key file {} does not hold them", path.display()),
                None => "the environment does not give them".to_owned(),
            }
        );
    }
    let (secret, data) = complete_key_file(&configured, secret, secret_in_file, data)?;
    if let Some(stored) = &legacy {
        let from_file = configured.env_secret.is_none() && secret_in_file;
        if from_file && stored.expose_secret() != secret.expose_secret() {
            bail!(
                "the database still holds a lookup key, and the key file holds another one: keep the file that belongs to this database"
            );
        }
        // Now in the key file (or overridden by the environment, as it always was).
        server_secret::Entity::delete_by_id(LEGACY_LOOKUP_KEY)
            .exec(db)
            .await?;
    }
    let lock = match (configured.lock.take(), &configured.path) {
        (None, Some(path)) => Some(key_file::lock(path, LockMode::Shared)?),
        (lock, _) => lock,
    };
    let keys = Keys::new(secret.expose_secret(), &data)?.holding(lock);
    let ids = check_ids(db, &keys, recorded).await?;
    if !ids.sealed {
        seal_contacts_stored_in_clear(db, &keys, ids).await?;
    }
    Ok(keys)
}

/// Encrypts the contact data of a database from before encryption at rest (on a new database,
/// finds nothing), then leaves no trace of the clear text in the file.
async fn seal_contacts_stored_in_clear(
    db: &DatabaseConnection,
    keys: &Keys,
    ids: KeyIds,
) -> anyhow::Result<()> {
    let sealed = contact::reseal_all(db, keys, &|_| {}).await?;
    if sealed > 0 {
        crate::db::compact(db).await?;
        tracing::info!(
            rows = sealed,
            "contact data written before encryption at rest is now encrypted"
        );
    }
    write_ids(
        db,
        &KeyIds {
            sealed: true,
            ..ids
        },
    )
    .await
}

/// Fills in what neither the environment nor the key file gives: the legacy lookup key moved
/// out of the database, or new keys. Writes the key file when anything was added.
fn complete_key_file(
    configured: &Configured,
    secret: Option<SecretString>,
    secret_in_file: bool,
    data: Option<Vec<DataKeyBytes>>,
) -> anyhow::Result<(SecretString, Vec<DataKeyBytes>)> {
    let from_env = configured.env_secret.is_some();
    let needs_secret = !from_env && !secret_in_file;
    let needs_data = data.is_none();
    let secret =
        secret.unwrap_or_else(|| SecretString::from(Token::generate().expose().to_owned()));
    let data = data.unwrap_or_else(|| vec![generate_data_key()]);
    if !(needs_secret || needs_data) {
        return Ok((secret, data));
    }
    let path = configured
        .path
        .as_ref()
        .context("the keys come from the environment, yet one is missing")?;
    let existing = key_file::read(path)?;
    let created = existing.is_none();
    let mut contents = existing.unwrap_or_default();
    if needs_secret {
        contents.secret_key = Some(secret.clone());
    }
    if needs_data {
        contents.data_keys = data.iter().map(copy_key).collect();
    }
    key_file::write(path, &contents)?;
    tracing::info!(
        key_file = %path.display(),
        "{} the key file; back it up apart from the database, and keep a copy with every database backup: without it the contact data cannot be read",
        if created { "created" } else { "added keys to" }
    );
    Ok((secret, data))
}

fn copy_key(key: &DataKeyBytes) -> DataKeyBytes {
    secrecy::SecretBox::new(Box::new(*key.expose_secret()))
}

/// Records the names of the keys on first use; afterwards checks that the same keys are used.
async fn check_ids(
    db: &DatabaseConnection,
    keys: &Keys,
    recorded: Option<KeyIds>,
) -> anyhow::Result<KeyIds> {
    let ours = KeyIds {
        lookup: keys.lookup_key_id(),
        data: keys.data_key_id().to_owned(),
        sealed: false,
    };
    let recorded = match recorded {
        Some(ids) => ids,
        None => {
            if insert_ids(db, &ours).await.is_ok() {
                return Ok(ours);
            }
            // Another instance recorded its keys at the same moment: they must be ours.
            read_ids(db)
                .await?
                .context("the names of the keys could be neither stored nor read")?
        }
    };
    if recorded.lookup == ours.lookup && keys.data_key_ids().contains(&recorded.data.as_str()) {
        return Ok(recorded);
    }
    if holds_contacts(db).await? {
        bail!(
            "the keys given are not the ones this database's contact data is written with (lookup key {}, data key {}; given {}, {}): use the key file that belongs to this database",
            recorded.lookup,
            recorded.data,
            ours.lookup,
            keys.data_key_ids().join("+")
        );
    }
    // Nothing was written with the recorded keys: the new ones take their place.
    let replaced = KeyIds {
        sealed: true,
        ..ours
    };
    write_ids(db, &replaced).await?;
    Ok(replaced)
}

async fn holds_contacts(db: &DatabaseConnection) -> anyhow::Result<bool> {
    Ok(contact::holds_any(db).await?)
}

/// What a key rotation did.
#[derive(Debug)]
pub struct Rotation {
    /// The data key everything is now encrypted with.
    pub to: String,
    /// The data keys retired.
    pub retired: Vec<String>,
    /// Rows re-encrypted.
    pub resealed: u64,
    /// Whether the old keys were removed from the key file (rather than left for the operator
    /// to remove from `SIGNON_DATA_KEY`).
    pub removed_from_key_file: bool,
}

/// Re-encrypts every stored contact value under a new data key, then retires the old one.
/// With the key file, the new key is generated and written beside the old one first, so a run
/// that stops halfway leaves every row readable, and running it again finishes the job. With
/// `SIGNON_DATA_KEY`, the new key is the first of the list given.
pub async fn rotate(
    db: &DatabaseConnection,
    database_url: &str,
    settings: &KeySettings,
    progress: &dyn Fn(u64),
) -> anyhow::Result<Rotation> {
    let mut configured = configured(database_url, settings, LockMode::Exclusive)?;
    let recorded = read_ids(db).await?;
    let data_from_env = configured.env_data.is_some();
    let data = new_key_first(&mut configured)?;
    let secret = configured
        .env_secret
        .clone()
        .or(configured.file.as_ref().and_then(|f| f.secret_key.clone()))
        .context("the lookup key is neither in SIGNON_SECRET_KEY nor in the key file")?;
    let keys = Keys::new(secret.expose_secret(), &data)?.holding(configured.lock.take());
    let ids = check_ids(db, &keys, recorded).await?;
    let resealed = reseal_under_first_key(db, &keys, ids, progress).await?;
    let retired: Vec<String> = keys.data_key_ids()[1..]
        .iter()
        .map(|id| (*id).to_owned())
        .collect();
    let removed_from_key_file = !data_from_env && remove_retired_keys(&mut configured)?;
    Ok(Rotation {
        to: keys.data_key_id().to_owned(),
        retired,
        resealed,
        removed_from_key_file,
    })
}

/// The data keys of a rotation, the new one first: the environment's, which must name a new
/// key before the current one; or the key file's, where a new key is written before the
/// current one unless a rotation that stopped halfway left one there.
fn new_key_first(configured: &mut Configured) -> anyhow::Result<Vec<DataKeyBytes>> {
    if let Some(keys) = configured.env_data.take() {
        if keys.len() < 2 {
            bail!(
                "the data key comes from SIGNON_DATA_KEY: put a new key before the current one (SIGNON_DATA_KEY=NEW,OLD; make one with `openssl rand -hex 32`), run rotate-key, then remove the old one"
            );
        }
        return Ok(keys);
    }
    let path = configured
        .path
        .as_ref()
        .context("the data key is neither in SIGNON_DATA_KEY nor in a key file")?;
    let contents = configured
        .file
        .as_mut()
        .filter(|f| !f.data_keys.is_empty())
        .with_context(|| format!("there is no key file at {} to rotate", path.display()))?;
    if contents.data_keys.len() == 1 {
        contents.data_keys.insert(0, generate_data_key());
        key_file::write(path, contents)?;
    }
    Ok(contents.data_keys.iter().map(copy_key).collect())
}

/// Re-encrypts everything under the first of `keys`, recording that key's name first so that
/// a process holding only the old key refuses to start; returns how many rows changed.
async fn reseal_under_first_key(
    db: &DatabaseConnection,
    keys: &Keys,
    ids: KeyIds,
    progress: &dyn Fn(u64),
) -> anyhow::Result<u64> {
    write_ids(
        db,
        &KeyIds {
            data: keys.data_key_id().to_owned(),
            ..ids
        },
    )
    .await?;
    let resealed = contact::reseal_all(db, keys, progress).await?;
    // Before the old key goes: no row, free page or WAL frame may still need it.
    crate::db::compact(db).await?;
    write_ids(
        db,
        &KeyIds {
            lookup: keys.lookup_key_id(),
            data: keys.data_key_id().to_owned(),
            sealed: true,
        },
    )
    .await?;
    Ok(resealed)
}

/// Leaves only the new data key in the key file; whether there was a key file to do it in.
fn remove_retired_keys(configured: &mut Configured) -> anyhow::Result<bool> {
    let (Some(path), Some(contents)) = (&configured.path, configured.file.as_mut()) else {
        return Ok(false);
    };
    contents.data_keys.truncate(1);
    key_file::write(path, contents)?;
    Ok(true)
}

async fn legacy_lookup_key(db: &DatabaseConnection) -> anyhow::Result<Option<SecretString>> {
    Ok(server_secret::Entity::find_by_id(LEGACY_LOOKUP_KEY)
        .select_only()
        .column(server_secret::Column::Value)
        .into_tuple::<String>()
        .one(db)
        .await?
        .map(SecretString::from))
}

async fn read_ids(db: &DatabaseConnection) -> anyhow::Result<Option<KeyIds>> {
    let Some(row) = server_secret::Entity::find_by_id(KEY_IDS).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(
        serde_json::from_str(&row.value).context("the recorded key names are not readable")?,
    ))
}

async fn insert_ids(db: &DatabaseConnection, ids: &KeyIds) -> Result<(), sea_orm::DbErr> {
    server_secret::ActiveModel {
        name: Set(KEY_IDS.to_owned()),
        value: Set(serde_json::to_string(ids).expect("key names serialize")),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map(|_| ())
}

async fn write_ids(db: &DatabaseConnection, ids: &KeyIds) -> anyhow::Result<()> {
    server_secret::ActiveModel {
        name: Set(KEY_IDS.to_owned()),
        value: Set(serde_json::to_string(ids).expect("key names serialize")),
        created_at: Set(Utc::now()),
    }
    .update(db)
    .await?;
    Ok(())
}
