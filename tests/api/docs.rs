//! The README stays in step with the code: every configuration key and
//! variable, every command, and the two commands that run and test it.

use launchpad::config::keys;

#[test]
fn the_readme_documents_every_configuration_key_and_variable() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();

    for key in keys::ALL {
        assert!(
            readme.contains(&format!("`{}`", key.name)),
            "README lacks the key {}",
            key.name
        );
        assert!(
            readme.contains(&format!("`{}`", key.env_var())),
            "README lacks the variable {}",
            key.env_var()
        );
    }
}

#[test]
fn the_readme_prints_the_two_commands() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();

    assert!(readme.contains("cargo run --release -- serve"));
    assert!(readme.contains("scripts/test.sh"));
}

#[test]
fn the_readme_names_every_command() {
    use clap::CommandFactory;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();

    for command in launchpad::cli::Cli::command().get_subcommands() {
        let name = command.get_name();
        assert!(
            readme.contains(&format!("`launchpad {name}")),
            "README lacks the command {name}"
        );
    }
}
