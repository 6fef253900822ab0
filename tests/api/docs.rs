//! The README's configuration reference stays in step with the code.

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
