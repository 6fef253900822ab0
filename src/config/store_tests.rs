use super::super::tests::load;
use super::*;

fn problems_of(env: &[(&str, &str)], key: &Key) -> Vec<Problem> {
    load(env)
        .err()
        .map(|e| e.problems)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.key == key.name)
        .collect()
}

const URL: &str = "LAUNCHPAD_STORE_POSTGRES_URL";
const PRODUCTION: (&str, &str) = ("LAUNCHPAD_ENV", "production");

#[test]
fn redb_is_the_default_and_needs_no_url() {
    let settings = load(&[]).unwrap();
    assert_eq!(settings.store.backend, Backend::Redb);
    assert!(settings.store.postgres.is_none());
}

#[test]
fn the_postgres_backend_without_a_url_names_both_keys() {
    let problems = problems_of(
        &[("LAUNCHPAD_STORE_BACKEND", "postgres")],
        &keys::STORE_BACKEND,
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].fix.contains("store.postgres_url ("));
    assert!(problems[0].fix.contains("store.postgres_url_file ("));
}

#[test]
fn the_url_and_its_settings_reach_the_pool_options() {
    let settings = load(&[
        ("LAUNCHPAD_STORE_BACKEND", "postgres"),
        (URL, "postgres://lp:s3cret@db.internal/lp?sslmode=require"),
        ("LAUNCHPAD_STORE_POSTGRES_POOL_SIZE", "4"),
        ("LAUNCHPAD_STORE_POSTGRES_CONNECT_TIMEOUT_SECS", "2"),
    ])
    .unwrap();
    let options = settings.store.postgres.unwrap();
    assert_eq!(options.pool_size, 4);
    assert_eq!(options.connect_timeout, Duration::from_secs(2));
    assert_eq!(options.url.tls(), TlsMode::Require);
}

#[test]
fn reports_show_the_url_with_its_password_masked() {
    let settings = load(&[(URL, "postgres://lp:s3cret@db.internal/lp")]).unwrap();
    let (_, _, shown) = settings
        .origins
        .iter()
        .find(|(k, _, _)| k.name == keys::POSTGRES_URL.name)
        .unwrap();
    assert_eq!(shown, "\"postgres://lp:***@db.internal/lp\"");
    assert!(!format!("{settings:?}").contains("s3cret"));
}

#[test]
fn a_bad_url_is_a_problem_that_shows_it_masked() {
    let problems = problems_of(
        &[(URL, "postgres://lp:s3cret@db/lp?sslmode=always")],
        &keys::POSTGRES_URL,
    );
    assert_eq!(problems.len(), 1);
    let text = problems[0].to_string();
    assert!(text.contains("sslmode must be"), "{text}");
    assert!(text.contains("postgres://lp:***@db"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
}

#[test]
fn out_of_range_pool_sizes_and_timeouts_are_refused() {
    for (var, value) in [
        ("LAUNCHPAD_STORE_POSTGRES_POOL_SIZE", "0"),
        ("LAUNCHPAD_STORE_POSTGRES_POOL_SIZE", "257"),
        ("LAUNCHPAD_STORE_POSTGRES_CONNECT_TIMEOUT_SECS", "0"),
    ] {
        assert!(load(&[(var, value)]).is_err(), "{var}={value}");
    }
}

#[test]
fn the_url_comes_from_a_file_or_the_systemd_credential() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(CREDENTIAL);
    std::fs::write(&file, "postgres://lp:s3cret@127.0.0.1/lp\n").unwrap();
    let credentials = dir.path().to_str().unwrap();

    let from_file = load(&[("LAUNCHPAD_STORE_POSTGRES_URL_FILE", file.to_str().unwrap())]);
    let from_credential = load(&[("CREDENTIALS_DIRECTORY", credentials)]);

    for settings in [from_file.unwrap(), from_credential.unwrap()] {
        let options = settings.store.postgres.expect("the URL was read");
        assert_eq!(
            options.url.masked().as_str(),
            "postgres://lp:***@127.0.0.1/lp"
        );
    }
}

#[test]
fn a_url_and_a_url_file_together_are_a_problem() {
    let problems = problems_of(
        &[
            (URL, "postgres://db/lp"),
            ("LAUNCHPAD_STORE_POSTGRES_URL_FILE", "/etc/launchpad/pg"),
        ],
        &keys::POSTGRES_URL_FILE,
    );
    assert_eq!(problems.len(), 1);
    assert!(problems[0].message.contains("both set"));
}

#[test]
fn a_ca_file_without_certificates_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "not a certificate\n").unwrap();

    let problems = problems_of(
        &[("LAUNCHPAD_STORE_POSTGRES_CA_FILE", ca.to_str().unwrap())],
        &keys::POSTGRES_CA_FILE,
    );

    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].message.contains("no PEM certificate"),
        "{problems:?}"
    );
}

#[test]
fn production_refuses_a_remote_url_without_tls_and_says_how_to_fix_it() {
    for url in [
        "postgres://lp:s3cret@db.internal/lp",
        "postgres://lp:s3cret@db.internal/lp?sslmode=disable",
        "postgres://lp:s3cret@10.0.0.5/lp?sslmode=prefer",
    ] {
        let problems = problems_of(&[PRODUCTION, (URL, url)], &keys::POSTGRES_URL);
        assert_eq!(problems.len(), 1, "{url}: {problems:?}");
        let text = problems[0].to_string();
        assert!(text.contains("without TLS"), "{text}");
        assert!(text.contains("sslmode=require"), "{text}");
        assert!(
            text.contains(URL),
            "names where the value came from: {text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
    }
}

#[test]
fn production_accepts_tls_to_a_remote_host_and_plain_to_a_local_one() {
    for url in [
        "postgres://lp:p@db.internal/lp?sslmode=require",
        "postgres://lp:p@db.internal/lp?sslmode=verify-full",
        "postgres://lp:p@localhost/lp",
        "postgres://lp:p@127.0.0.1:5433/lp?sslmode=disable",
        "postgres://lp:p@[::1]/lp",
        "postgres://lp@%2Frun%2Fpostgresql/lp",
    ] {
        let problems = problems_of(&[PRODUCTION, (URL, url)], &keys::POSTGRES_URL);
        assert!(problems.is_empty(), "{url}: {problems:?}");
    }
}

#[test]
fn a_url_unused_by_the_redb_backend_is_a_warning() {
    let settings = load(&[(URL, "postgres://db/lp")]).unwrap();
    assert!(
        settings.warnings().iter().any(|w| w.contains("not used")),
        "{:?}",
        settings.warnings()
    );
}
