//! The data directory holds an install's signing secrets, its SQLite databases (customers'
//! conversations, people's reviews) and its search indexes: only the account running Frontline
//! may read any of it. The directory is 0700 and every file Frontline creates in it is 0600,
//! whatever the umask; SQLite gives its WAL and shared-memory files the database file's mode.
use std::{io, path::Path};

/// Creates `dir` (and its parents) if needed and makes it readable by its owner alone. A
/// directory the process does not own (a volume mounted by an orchestrator) is left as it is,
/// with a warning: its owner chose its mode.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    restrict(dir, 0o700)
}

/// Creates `file` empty if it does not exist, and makes it readable by its owner alone, before
/// anything is written to it.
pub fn private_file(file: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(file)?;
    restrict(file, 0o600)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if current & !mode == 0 {
        return Ok(());
    }
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
            tracing::warn!(path = %path.display(), mode = format!("{current:o}"), "cannot make this private: it is not ours");
            Ok(())
        }
        other => other,
    }
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_data_directory_and_its_files_are_for_their_owner_alone() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("ticketing.db");
        private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);

        // An install from before this rule is tightened at its next start.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::write(&file, b"kept").unwrap();
        private_dir(&dir).unwrap();
        private_file(&file).unwrap();
        assert_eq!((mode(&dir), mode(&file)), (0o700, 0o600));
        assert_eq!(std::fs::read(&file).unwrap(), b"kept", "an existing file keeps its contents");
    }
}
