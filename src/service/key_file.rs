//! The key file: where the keys live when the environment does not give them. It is created on
//! first run with mode 0600, beside a SQLite database (`signon.db` gets `signon.key`) or, for
//! PostgreSQL, at `./signon.key` unless `--key-file` says otherwise. It is never in the database:
//! a copy of the database alone reveals no contact, and the file is backed up apart from it.
//!
//! Every rewrite goes to a new file that replaces the old one in one rename, so a crash leaves
//! the old file or the new one, never half of either. Processes using the keys hold a shared
//! lock on `FILE.lock` beside it and a key rotation an exclusive one, so a rotation never runs
//! under a server that would go on writing with the old key.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};

use super::keys::{DataKeyBytes, encode_data_key, parse_data_key};

/// What a key file holds.
#[derive(Default)]
pub struct KeyFileContents {
    /// The key of keyed hashes, when the file holds it.
    pub secret_key: Option<SecretString>,
    /// The data keys, the one that encrypts first; more than one only during a rotation.
    pub data_keys: Vec<DataKeyBytes>,
}

const HEADER: &str = "\
# signon keys. Keep this file apart from the database, and back it up whenever you back up
# the database: without it the contact data stored there cannot be read.
# secret_key: the key of keyed hashes (contact-email lookups).
# data_key: encrypts contact data. During `signon rotate-key` a second data_key line holds the
# old key, which is still read until the rotation finishes and removes it.
";

/// The key file used with a database when `--key-file` is not given: beside a SQLite file,
/// otherwise `signon.key` in the working directory.
pub fn default_path(database_url: &str) -> PathBuf {
    match crate::db::sqlite_path(database_url) {
        Some(database) if database.extension().is_some_and(|x| x != "key") => {
            database.with_extension("key")
        }
        Some(database) => sibling(&database, "key"),
        None => PathBuf::from("signon.key"),
    }
}

/// Reads the key file; `None` when there is none.
pub fn read(path: &Path) -> anyhow::Result<Option<KeyFileContents>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(err)
                .with_context(|| format!("cannot read the key file {}", path.display()));
        }
    };
    warn_if_readable_by_others(path);
    let mut contents = KeyFileContents::default();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let where_ = || format!("the key file {} line {}", path.display(), number + 1);
        match line.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
            Some(("secret_key", value)) if !value.is_empty() => {
                contents.secret_key = Some(SecretString::from(value.to_owned()));
            }
            Some(("data_key", value)) => contents
                .data_keys
                .push(parse_data_key(value).with_context(where_)?),
            // The line may hold a key: never repeat it in the message.
            _ => bail!("{}: expected secret_key=... or data_key=...", where_()),
        }
    }
    Ok(Some(contents))
}

/// Writes the key file with mode 0600, replacing any previous one in a single rename.
pub fn write(path: &Path, contents: &KeyFileContents) -> anyhow::Result<()> {
    let mut text = HEADER.to_owned();
    if let Some(secret) = &contents.secret_key {
        text.push_str(&format!("secret_key={}\n", secret.expose_secret()));
    }
    for key in &contents.data_keys {
        text.push_str(&format!("data_key={}\n", encode_data_key(key)));
    }
    let partial = sibling(path, "partial");
    let _ = std::fs::remove_file(&partial);
    let cannot = || format!("cannot write the key file {}", path.display());
    let mut file = crate::db::create_private_file(&partial).with_context(cannot)?;
    file.write_all(text.as_bytes()).with_context(cannot)?;
    file.sync_all().with_context(cannot)?;
    drop(file);
    std::fs::rename(&partial, path).with_context(cannot)?;
    // The rename itself survives a power cut only once the directory is on disk too.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(cannot)?;
    }
    Ok(())
}

/// How a process uses the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Serving, importing, exporting: any number at once.
    Shared,
    /// Rotating the data key: alone.
    Exclusive,
}

/// Locks the key file for as long as the returned file stays open.
pub fn lock(path: &Path, mode: LockMode) -> anyhow::Result<File> {
    let lock_path = sibling(path, "lock");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .with_context(|| format!("cannot open the lock file {}", lock_path.display()))?;
    let locked = match mode {
        LockMode::Shared => file.try_lock_shared(),
        LockMode::Exclusive => file.try_lock(),
    };
    match (locked, mode) {
        (Ok(()), _) => Ok(file),
        (Err(std::fs::TryLockError::WouldBlock), LockMode::Shared) => bail!(
            "`signon rotate-key` is re-encrypting with the key file {}; wait until it finishes",
            path.display()
        ),
        (Err(std::fs::TryLockError::WouldBlock), LockMode::Exclusive) => bail!(
            "another signon process (a running `signon serve`?) is using the key file {}; stop it first",
            path.display()
        ),
        (Err(std::fs::TryLockError::Error(err)), _) => {
            Err(err).with_context(|| format!("cannot lock {}", lock_path.display()))
        }
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{suffix}"));
    PathBuf::from(name)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            key_file = %path.display(),
            "the key file can be read by other users; make it private: chmod 600"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::keys::generate_data_key;

    #[test]
    fn the_key_file_sits_beside_a_sqlite_database_and_in_the_working_directory_otherwise() {
        assert_eq!(
            default_path("sqlite://data/signon.db?mode=rwc"),
            PathBuf::from("data/signon.key")
        );
        assert_eq!(
            default_path("sqlite:///var/lib/signon/letters?mode=rwc"),
            PathBuf::from("/var/lib/signon/letters.key")
        );
        assert_eq!(
            default_path("postgres://u@h/db"),
            PathBuf::from("signon.key")
        );
        assert_eq!(default_path("sqlite::memory:"), PathBuf::from("signon.key"));
    }

    #[test]
    fn a_written_key_file_reads_back_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signon.key");
        let (new, old) = (generate_data_key(), generate_data_key());
        write(
            &path,
            &KeyFileContents {
                secret_key: Some(SecretString::from("lookup secret".to_owned())),
                data_keys: vec![copy(&new), copy(&old)],
            },
        )
        .unwrap();
        let back = read(&path).unwrap().unwrap();
        assert_eq!(back.secret_key.unwrap().expose_secret(), "lookup secret");
        assert_eq!(back.data_keys.len(), 2);
        assert_eq!(
            back.data_keys[0].expose_secret(),
            new.expose_secret(),
            "the first key stays first"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(read(&dir.path().join("missing.key")).unwrap().is_none());
    }

    #[test]
    fn a_rotation_lock_excludes_users_of_the_keys_and_the_reverse() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signon.key");
        let serving = lock(&path, LockMode::Shared).unwrap();
        let _also = lock(&path, LockMode::Shared).unwrap();
        assert!(lock(&path, LockMode::Exclusive).is_err());
        drop(serving);
        drop(_also);
        let rotating = lock(&path, LockMode::Exclusive).unwrap();
        assert!(lock(&path, LockMode::Shared).is_err());
        drop(rotating);
    }

    #[test]
    fn a_malformed_line_is_refused_without_repeating_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signon.key");
        std::fs::write(&path, "data_key=not-a-key-hunter2\n").unwrap();
        let error = format!("{:#}", read(&path).err().unwrap());
        assert!(error.contains("line 1"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }

    fn copy(key: &DataKeyBytes) -> DataKeyBytes {
        secrecy::SecretBox::new(Box::new(*key.expose_secret()))
    }
}
