//! Verify with the identity opens every sealed field a backup holds (one
//! of each kind: a project owner's email, task notes, a user's email), and
//! refuses a backup in which one of them does not open.

use crate::backup::{Row, data_key, failed_saying, rows_of, stdout, store_with_backup};
use crate::helpers::run;
use base64::Engine;
use launchpad::backup::format;
use std::path::Path;

/// Rewrites `file` with `rows`, signed under the store's own data key, so
/// only what is inside the rows can make verify fail.
fn rewritten(data: &Path, file: &Path, rows: &[Row]) -> std::path::PathBuf {
    let (manifest, _) = rows_of(file);
    let out = file.with_extension("rewritten");
    format::write(
        &out,
        &manifest,
        None,
        &data_key(data, &manifest),
        |frames| {
            for (table, key, value) in rows {
                frames.push(*table, key, value)?;
            }
            Ok(())
        },
    )
    .unwrap();
    out
}

/// The frame id of the users table.
const USERS: u8 = 6;

#[test]
fn verify_opens_the_owner_email_every_note_and_every_user_email() {
    let (_dir, data, file) = store_with_backup();
    let (manifest, _) = rows_of(&file);

    let verify = run(&["verify"], &data, &[file.to_str().unwrap()]);

    assert!(verify.status.success(), "{verify:?}");
    let users = manifest.counts["users"];
    assert!(users >= 1, "the development store has its admin");
    // One owner email, twenty notes (the seed), every user's email, and the
    // demo project's three sealed planning rows.
    let expected = 1 + 20 + users + 3;
    assert!(
        stdout(&verify).contains(&format!(": {expected}\n")),
        "expected {expected} sealed fields opened: {}",
        stdout(&verify)
    );
}

#[test]
fn a_user_email_that_does_not_open_fails_verify_and_restore() {
    let (_dir, data, file) = store_with_backup();
    let (_, mut rows) = rows_of(&file);
    let user = rows.iter_mut().find(|r| r.0 == USERS).expect("a user row");
    let mut record: serde_json::Value = serde_json::from_slice(&user.2).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    let mut sealed = b64.decode(record["email"].as_str().unwrap()).unwrap();
    let last = sealed.len() - 1;
    sealed[last] ^= 0x01;
    record["email"] = b64.encode(sealed).into();
    user.2 = serde_json::to_vec(&record).unwrap();
    let bad = rewritten(&data, &file, &rows);

    let verify = run(&["verify"], &data, &[bad.to_str().unwrap()]);
    let restore = run(&["restore", "--force"], &data, &[bad.to_str().unwrap()]);

    failed_saying(&verify, "users.email of record");
    failed_saying(&restore, "users.email of record");
}
