//! A hostile backup file: damage is reported as damage before anything is
//! interpreted, every length is bounded before anything is allocated (each
//! case runs under an address-space limit), a file edited without the data
//! key is refused as not authentic, and the live store is never touched.

use crate::backup::{data_key, failed_saying, live, rows_of, stdout, store_with_backup};
use crate::helpers::{binary, sha};
use launchpad::backup::format::{self, Manifest};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::{Command, Output};

/// The address space each command here may use: a few times what a real
/// verify needs, far below what a 4 GiB length claim would ask for.
const ADDRESS_SPACE_KIB: u32 = 256 * 1024;

/// Runs the binary under the address-space limit, with a clean environment.
fn run_limited(args: &[&str], data: &Path, file: &Path) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(binary())
        .args(args)
        .arg(file)
        .arg("--data-dir")
        .arg(data)
        .env_clear()
        .output()
        .expect("the binary runs")
}

/// Writes `bytes` beside `file` and checks that verify and restore both
/// refuse them saying `reason`, leaving the live store exactly as it was.
fn refused(data: &Path, file: &Path, bytes: &[u8], reason: &str) {
    let bad = file.with_extension("damaged");
    std::fs::write(&bad, bytes).unwrap();
    let before = sha(&live(data));

    let verify = run_limited(&["verify"], data, &bad);
    let restore = run_limited(&["restore", "--force"], data, &bad);

    failed_saying(&verify, reason);
    failed_saying(&restore, reason);
    assert_eq!(sha(&live(data)), before, "the live store changed");
    let leftovers: Vec<_> = std::fs::read_dir(data)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("restor"))
        .collect();
    assert!(leftovers.is_empty(), "a restore left {leftovers:?}");
}

/// `file` with `damage` done to its bytes.
fn damaged(file: &Path, damage: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut bytes = std::fs::read(file).unwrap();
    damage(&mut bytes);
    bytes
}

/// Recomputes the trailing SHA-256, as someone who edits a file would.
fn recompute_checksum(bytes: &mut [u8]) {
    let end = bytes.len() - 32;
    let digest = Sha256::digest(&bytes[..end]);
    bytes[end..].copy_from_slice(&digest);
}

/// A format-2 file built by hand from `manifest` and the plain `body`,
/// signed under `key` (a file only a holder of the data key could make),
/// so that what follows the tag check is what gets tested.
fn crafted(manifest: &Manifest, body: &[u8], key: &launchpad::crypto::DataKey) -> Vec<u8> {
    let json = serde_json::to_vec(manifest).unwrap();
    let mut bytes = format::MAGIC.to_vec();
    bytes.extend_from_slice(&2u16.to_be_bytes());
    bytes.extend_from_slice(&(json.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&json);
    bytes.extend_from_slice(&zstd::encode_all(body, 3).unwrap());
    let mut mac = key.backup_mac();
    mac.update(&bytes);
    bytes.extend_from_slice(&mac.finalize());
    let digest = Sha256::digest(&bytes);
    bytes.extend_from_slice(&digest);
    bytes
}

/// The real manifest with its counts replaced.
fn with_counts(manifest: &Manifest, counts: serde_json::Value) -> Manifest {
    let mut manifest = manifest.clone();
    manifest.counts = serde_json::from_value(counts).unwrap();
    manifest
}

#[test]
fn a_truncated_backup_is_reported_as_damaged() {
    let (_dir, data, file) = store_with_backup();
    let half = damaged(&file, |b| b.truncate(b.len() / 2));
    let stub = damaged(&file, |b| b.truncate(20));

    refused(
        &data,
        &file,
        &half,
        "the file is damaged: checksum mismatch",
    );
    refused(
        &data,
        &file,
        &stub,
        "the file is damaged: it is 20 bytes long",
    );
    refused(&data, &file, &stub, "truncated");
}

#[test]
fn a_flipped_byte_anywhere_is_reported_as_damage_not_as_something_else() {
    let (_dir, data, file) = store_with_backup();
    let len = std::fs::metadata(&file).unwrap().len() as usize;
    // the format bytes, the manifest length, the manifest, the body, the checksum
    for at in [9, 12, 20, len / 2, len - 100, len - 1] {
        let bytes = damaged(&file, |b| b[at] ^= 0x02);
        refused(
            &data,
            &file,
            &bytes,
            "the file is damaged: checksum mismatch",
        );
    }
}

#[test]
fn random_bytes_after_the_magic_are_damage_not_a_newer_format() {
    let (_dir, data, file) = store_with_backup();
    let bytes = damaged(&file, |b| {
        for (i, byte) in b[8..64].iter_mut().enumerate() {
            *byte = (i as u8).wrapping_mul(151).wrapping_add(7);
        }
    });

    refused(
        &data,
        &file,
        &bytes,
        "the file is damaged: checksum mismatch",
    );
}

#[test]
fn only_an_intact_file_from_a_newer_format_is_called_newer() {
    let (_dir, data, file) = store_with_backup();
    let bytes = damaged(&file, |b| {
        b[8..10].copy_from_slice(&3u16.to_be_bytes());
        recompute_checksum(b);
    });

    refused(
        &data,
        &file,
        &bytes,
        "written by a newer LaunchPad (backup format 3",
    );
}

#[test]
fn a_foreign_file_is_refused() {
    let (_dir, data, file) = store_with_backup();
    let bytes = damaged(&file, |b| b[..8].copy_from_slice(b"NOTABKUP"));

    refused(&data, &file, &bytes, "not a LaunchPad backup");
}

#[test]
fn a_key_length_claiming_four_gib_is_refused_without_allocating_it() {
    let (_dir, data, file) = store_with_backup();
    let (manifest, _) = rows_of(&file);
    let mut body = vec![1u8];
    body.extend_from_slice(&u32::MAX.to_be_bytes());
    let bytes = crafted(
        &with_counts(&manifest, json!({ "meta": 1 })),
        &body,
        &data_key(&data, &manifest),
    );

    refused(
        &data,
        &file,
        &bytes,
        "a key of 4294967295 bytes in table meta",
    );
}

#[test]
fn a_value_length_claiming_four_gib_is_refused_without_allocating_it() {
    let (_dir, data, file) = store_with_backup();
    let (manifest, _) = rows_of(&file);
    let mut body = vec![1u8];
    body.extend_from_slice(&4u32.to_be_bytes());
    body.extend_from_slice(b"name");
    body.extend_from_slice(&u32::MAX.to_be_bytes());
    let bytes = crafted(
        &with_counts(&manifest, json!({ "meta": 1 })),
        &body,
        &data_key(&data, &manifest),
    );

    refused(
        &data,
        &file,
        &bytes,
        "a value of 4294967295 bytes in table meta",
    );
}

#[test]
fn a_manifest_length_claiming_four_gib_is_refused_without_allocating_it() {
    let (_dir, data, file) = store_with_backup();
    let bytes = damaged(&file, |b| {
        b[10..14].copy_from_slice(&u32::MAX.to_be_bytes());
        recompute_checksum(b);
    });

    refused(&data, &file, &bytes, "a manifest of 4294967295 bytes");
}

/// Twenty million tiny frames (one meta row, over and over): 200 MB that
/// zstd packs into a few KiB.
fn frame_bomb() -> Vec<u8> {
    let mut body = Vec::with_capacity(20_000_000 * 10 + 1);
    for _ in 0..20_000_000 {
        body.extend_from_slice(&[1, 0, 0, 0, 1, b'k', 0, 0, 0, 0]);
    }
    body.push(0);
    body
}

#[test]
fn a_frame_bomb_is_refused_at_the_first_frame_past_the_manifests_counts() {
    let (_dir, data, file) = store_with_backup();
    let (manifest, _) = rows_of(&file);
    let key = data_key(&data, &manifest);
    let body = frame_bomb();
    let honest_counts = crafted(&with_counts(&manifest, json!({ "meta": 1 })), &body, &key);
    let claimed_counts = crafted(
        &with_counts(&manifest, json!({ "meta": 20_000_000 })),
        &body,
        &key,
    );
    assert!(honest_counts.len() < 64 * 1024, "{}", honest_counts.len());

    refused(
        &data,
        &file,
        &honest_counts,
        "more meta rows than the 1 the manifest promises",
    );
    refused(
        &data,
        &file,
        &claimed_counts,
        "the meta rows are out of order or repeated",
    );
}

#[test]
fn a_row_removed_with_counts_and_checksum_fixed_is_refused_as_not_authentic() {
    let (dir, data, file) = store_with_backup();
    let (mut manifest, rows) = rows_of(&file);
    let task = rows.iter().position(|r| r.0 == 4).expect("a task row");
    *manifest.counts.get_mut("tasks").unwrap() -= 1;
    let edited = dir.path().join("edited.lpbackup");
    // A valid file in every way but one: without the data key, the editor
    // can only sign it under a key of their own.
    let forger = launchpad::crypto::DataKey::generate();
    format::write(&edited, &manifest, None, &forger, |frames| {
        for (i, (table, key, value)) in rows.iter().enumerate() {
            if i != task {
                frames.push(*table, key, value)?;
            }
        }
        Ok(())
    })
    .unwrap();
    let bytes = std::fs::read(&edited).unwrap();

    refused(&data, &file, &bytes, "the backup is not authentic");
    let without_identity = run_limited(
        &["verify", "--identity", "/nonexistent/identity"],
        &data,
        &edited,
    );
    assert!(without_identity.status.success());
    assert!(
        stdout(&without_identity).contains("integrity only"),
        "{}",
        stdout(&without_identity)
    );
}

#[test]
fn verify_with_the_identity_says_a_real_backup_is_authentic() {
    let (_dir, data, file) = store_with_backup();

    let verify = run_limited(&["verify"], &data, &file);

    assert!(verify.status.success(), "{verify:?}");
    assert!(
        stdout(&verify).contains("authentic: its tag matches its content under data key lpk1:"),
        "{}",
        stdout(&verify)
    );
}

/// The same backup in format 1, which had no tag, as an older LaunchPad wrote it.
fn as_format_one(file: &Path) -> Vec<u8> {
    let (mut manifest, rows) = rows_of(file);
    manifest.format = 1;
    manifest.wrapped_data_key = None;
    let json = serde_json::to_vec(&manifest).unwrap();
    let mut body = Vec::new();
    for (table, key, value) in &rows {
        body.push(*table);
        body.extend_from_slice(&(key.len() as u32).to_be_bytes());
        body.extend_from_slice(key);
        body.extend_from_slice(&(value.len() as u32).to_be_bytes());
        body.extend_from_slice(value);
    }
    body.push(0);
    let mut bytes = format::MAGIC.to_vec();
    bytes.extend_from_slice(&1u16.to_be_bytes());
    bytes.extend_from_slice(&(json.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&json);
    bytes.extend_from_slice(&zstd::encode_all(body.as_slice(), 3).unwrap());
    let digest = Sha256::digest(&bytes);
    bytes.extend_from_slice(&digest);
    bytes
}

#[test]
fn a_format_one_backup_verifies_as_unsigned_and_restores_only_when_accepted() {
    let (dir, data, file) = store_with_backup();
    let old = dir.path().join("old.lpbackup");
    std::fs::write(&old, as_format_one(&file)).unwrap();

    let verify = run_limited(&["verify"], &data, &old);
    let plain = run_limited(&["restore", "--force"], &data, &old);
    let accepted = run_limited(&["restore", "--force", "--accept-unsigned"], &data, &old);

    assert!(verify.status.success(), "{verify:?}");
    assert!(stdout(&verify).contains("not authenticated: a format-1 backup"));
    failed_saying(&plain, "--accept-unsigned");
    assert!(accepted.status.success(), "{accepted:?}");
}
