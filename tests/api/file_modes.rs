//! Every file LaunchPad writes in the data folder is its owner's alone
//! (0600, the folder 0700), whatever umask it was started with, and a store
//! an older version left readable by others is narrowed at the next start.

use crate::backup::stderr;
use crate::helpers::{binary, run, seed, spawn_binary, spawn_binary_with_umask, stop};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

/// Every entry of `dir` whose mode lets group or others in.
fn open_to_others(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if mode(&path) & 0o077 != 0 {
            found.push(format!("{} {:o}", path.display(), mode(&path)));
        }
        if path.is_dir() {
            found.extend(open_to_others(&path));
        }
    }
    found
}

/// Runs the binary from a shell with umask 000.
fn run_with_open_umask(args: &[&str], data: &Path) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(binary())
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_clear()
        .output()
        .unwrap()
}

#[test]
fn with_umask_000_every_file_in_the_data_folder_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = spawn_binary_with_umask(&data, &[], "000");
    seed(&server, 3);
    let backups = data.join("backups");
    // The operator's folder for backups, made private as install.sh makes it.
    std::os::unix::fs::DirBuilderExt::mode(&mut std::fs::DirBuilder::new(), 0o700)
        .create(&backups)
        .unwrap();
    let backup = run(&["backup", "--out"], &data, &[backups.to_str().unwrap()]);
    assert!(backup.status.success(), "{}", stderr(&backup));
    stop(server);

    let restore = run_with_open_umask(&["restore", "--force", &first_file(&backups)], &data);
    assert!(restore.status.success(), "{}", stderr(&restore));
    let export = run_with_open_umask(
        &[
            "journal",
            "export",
            "--out",
            data.join("journal.jsonl").to_str().unwrap(),
        ],
        &data,
    );
    assert!(export.status.success(), "{}", stderr(&export));

    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("launchpad.redb")), 0o600);
    assert_eq!(open_to_others(&data), Vec::<String>::new());
}

fn first_file(dir: &Path) -> String {
    std::fs::read_dir(dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_store_left_readable_by_others_is_made_private_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    stop(spawn_binary(&data, &[]));
    let store = data.join("launchpad.redb");
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o644)).unwrap();

    stop(spawn_binary(&data, &[]));

    assert_eq!(mode(&store), 0o600);
}
