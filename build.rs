//! Records the git commit the binary was built from, for `launchpad --version`.
//!
//! `LAUNCHPAD_GIT_COMMIT` wins when set: a release is built from an export of
//! the tree, which has no `.git` (scripts/release.sh sets it). Otherwise git
//! is asked, and the build reruns when HEAD or a branch moves (in a linked
//! worktree too, where `.git` is a file).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn main() {
    println!("cargo:rerun-if-env-changed=LAUNCHPAD_GIT_COMMIT");
    if let Ok(commit) = std::env::var("LAUNCHPAD_GIT_COMMIT")
        && !commit.trim().is_empty()
    {
        println!("cargo:rustc-env=LAUNCHPAD_GIT_COMMIT={}", commit.trim());
        return;
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=LAUNCHPAD_GIT_COMMIT={commit}");
    for path in ["HEAD", "refs/heads", "packed-refs"] {
        // A path that does not exist would rerun this script on every build.
        if let Some(file) = git(&["rev-parse", "--git-path", path])
            && std::path::Path::new(&file).exists()
        {
            println!("cargo:rerun-if-changed={file}");
        }
    }
}
