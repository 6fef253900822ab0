//! The built binary: exit codes, help, configuration errors, migrate --plan.

use crate::helpers::{binary, spawn_binary};
use std::path::Path;
use std::process::{Command, Output};

/// Runs the binary in `dir` with a clean environment plus `env`.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(binary())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn version_prints_the_version_and_the_git_commit() {
    let dir = tempfile::tempdir().unwrap();

    let output = run(dir.path(), &["--version"], &[]);

    let (stdout, _) = text(&output);
    assert!(output.status.success());
    assert!(
        stdout.starts_with(&format!("launchpad {}", env!("CARGO_PKG_VERSION"))),
        "{stdout}"
    );
    assert!(stdout.contains("commit "), "{stdout}");
}

#[test]
fn help_of_every_command_is_complete_and_has_examples() {
    use clap::CommandFactory;
    // Every leaf command, taken from the command-line definition itself, so
    // a command added later without examples fails here.
    fn leaves(command: &clap::Command, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        let subcommands: Vec<&clap::Command> = command
            .get_subcommands()
            .filter(|c| c.get_name() != "help")
            .collect();
        if subcommands.is_empty() {
            out.push(path.clone());
        }
        for sub in subcommands {
            let mut next = path.clone();
            next.push(sub.get_name().to_owned());
            leaves(sub, next, out);
        }
    }
    let mut commands = vec![Vec::new()];
    leaves(&launchpad::cli::Cli::command(), Vec::new(), &mut commands);
    assert!(commands.len() >= 15, "{commands:?}");
    let dir = tempfile::tempdir().unwrap();
    for path in commands {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let output = run(dir.path(), &args, &[]);
        let (stdout, _) = text(&output);
        assert!(output.status.success(), "{args:?}");
        assert!(
            stdout.contains("Examples:"),
            "{args:?} has no examples:\n{stdout}"
        );
        assert!(
            stdout.contains("--data-dir"),
            "{args:?} does not list the shared options"
        );
    }
}

#[test]
fn a_usage_error_exits_2() {
    let dir = tempfile::tempdir().unwrap();

    let output = run(dir.path(), &["serve", "--no-such-flag"], &[]);

    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn every_configuration_problem_is_reported_at_once_with_exit_78() {
    let dir = tempfile::tempdir().unwrap();

    let output = run(
        dir.path(),
        &["serve"],
        &[
            ("LAUNCHPAD_HTTP_BODY_LIMIT_BYTES", "lots"),
            ("LAUNCHPAD_LISTEN", "nowhere"),
            ("LAUNCHPAD_LOG_FORMAT", "xml"),
        ],
    );

    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(78), "{stderr}");
    assert!(stderr.contains("3 problems"), "{stderr}");
    for needle in [
        "http.body_limit_bytes",
        "LAUNCHPAD_HTTP_BODY_LIMIT_BYTES",
        "\"lots\"",
        "listen",
        "log.format",
        "fix:",
    ] {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    assert!(
        !dir.path().join("launchpad-data").exists(),
        "nothing may start on a bad configuration"
    );
}

#[test]
fn production_mode_refuses_demo_data_and_a_wildcard_origin_and_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let output = run(
        dir.path(),
        &["serve", "--data-dir", data.to_str().unwrap()],
        &[
            ("LAUNCHPAD_ENV", "production"),
            ("LAUNCHPAD_HTTP_CORS_ALLOWED_ORIGINS", "*"),
        ],
    );

    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(78), "{stderr}");
    assert!(stderr.contains("demo_data = false"), "{stderr}");
    assert!(stderr.contains("LAUNCHPAD_DEMO_DATA=false"), "{stderr}");
    assert!(stderr.contains("http.cors_allowed_origins"), "{stderr}");
    assert!(!data.exists());
}

#[test]
fn production_mode_refuses_a_relative_data_folder() {
    let dir = tempfile::tempdir().unwrap();

    let output = run(
        dir.path(),
        &["config", "check"],
        &[
            ("LAUNCHPAD_ENV", "production"),
            ("LAUNCHPAD_DEMO_DATA", "false"),
        ],
    );

    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(78));
    assert!(stderr.contains("data_dir"), "{stderr}");
}

#[test]
fn a_missing_config_file_exits_78_naming_it() {
    let dir = tempfile::tempdir().unwrap();

    let output = run(
        dir.path(),
        &["config", "check", "--config", "missing.toml"],
        &[],
    );

    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(78));
    assert!(stderr.contains("missing.toml"), "{stderr}");
}

#[test]
fn invalid_toml_exits_78() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), "listen = \n").unwrap();

    let output = run(
        dir.path(),
        &["config", "check", "--config", "bad.toml"],
        &[],
    );

    assert_eq!(output.status.code(), Some(78));
    assert!(text(&output).1.contains("not valid TOML"));
}

#[test]
fn flags_beat_variables_which_beat_the_file_which_beats_defaults() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("launchpad.toml"),
        "listen = \"127.0.0.1:1111\"\ndemo_data = false\n[http]\nbody_limit_bytes = 2048\nworkers = 3\n",
    )
    .unwrap();

    let output = run(
        dir.path(),
        &[
            "config",
            "check",
            "--config",
            "launchpad.toml",
            "--listen",
            "127.0.0.1:3333",
        ],
        &[
            ("LAUNCHPAD_LISTEN", "127.0.0.1:2222"),
            ("LAUNCHPAD_HTTP_BODY_LIMIT_BYTES", "4096"),
        ],
    );

    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let line = |key: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        line("listen").contains("127.0.0.1:3333") && line("listen").contains("--listen"),
        "{stdout}"
    );
    assert!(
        line("http.body_limit_bytes").contains("4096")
            && line("http.body_limit_bytes").contains("LAUNCHPAD_HTTP_BODY_LIMIT_BYTES"),
        "{stdout}"
    );
    assert!(
        line("http.workers").contains('3') && line("http.workers").contains("launchpad.toml"),
        "{stdout}"
    );
    assert!(
        line("http.shutdown_timeout_secs").contains("(default)"),
        "{stdout}"
    );
}

#[test]
fn config_check_lists_unknown_keys_and_variables_with_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("launchpad.toml"),
        "[http]\nbody_limit_byte = 2048\n",
    )
    .unwrap();

    let output = run(
        dir.path(),
        &["config", "check", "--config", "launchpad.toml"],
        &[("LAUNCHPAD_DEMODATA", "false")],
    );

    let (stdout, _) = text(&output);
    assert!(output.status.success());
    assert!(stdout.contains("drift: 2"), "{stdout}");
    assert!(
        stdout.contains("http.body_limit_byte")
            && stdout.contains("did you mean `http.body_limit_bytes`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("LAUNCHPAD_DEMODATA") && stdout.contains("did you mean `demo_data`"),
        "{stdout}"
    );
}

#[test]
fn config_check_strict_fails_on_drift() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("launchpad.toml"),
        "lisen = \"127.0.0.1:9\"\n",
    )
    .unwrap();

    let output = run(
        dir.path(),
        &["config", "check", "--strict", "--config", "launchpad.toml"],
        &[],
    );

    assert_eq!(output.status.code(), Some(78));
    assert!(text(&output).1.contains("lisen"));
}

#[test]
fn migrate_plan_on_a_fresh_folder_lists_every_step_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();

    let output = run(
        dir.path(),
        &["migrate", "--plan", "--data-dir", "store"],
        &[],
    );

    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("no store at"), "{stdout}");
    assert!(
        stdout.contains("create the meta, projects, checklists and tasks tables"),
        "{stdout}"
    );
    assert!(stdout.contains("nothing was changed"), "{stdout}");
    assert!(!dir.path().join("store").exists());
}

#[test]
fn migrate_plan_on_a_current_store_has_nothing_pending_and_leaves_the_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("store");
    let mut server = spawn_binary(&data, &[]);
    server.signal("TERM");
    assert!(server.wait_exit(30).success());
    let file = data.join("launchpad.redb");
    let before = std::fs::read(&file).unwrap();

    let output = run(
        dir.path(),
        &["migrate", "--plan", "--data-dir", "store"],
        &[],
    );

    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let latest = launchpad::store::migrations::latest_version();
    assert!(
        stdout.contains(&format!("at schema version {latest}")),
        "{stdout}"
    );
    assert!(stdout.contains("no pending migrations"), "{stdout}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn a_second_server_on_the_same_store_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let _first = spawn_binary(dir.path(), &[]);

    let output = run(
        dir.path(),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );

    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("held by another process"), "{stderr}");
}

#[test]
fn the_embedded_default_serves_with_nothing_configured() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("launchpad-data");

    let server = spawn_binary(&data, &[]);
    let body = std::process::Command::new("curl")
        .args(["-sf", &server.url("/api/v1/projects")])
        .output()
        .expect("curl runs");

    assert!(body.status.success());
    assert!(String::from_utf8_lossy(&body.stdout).contains("LaunchPad – v0 Readiness"));
    assert!(data.join("launchpad.redb").exists());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );
}
