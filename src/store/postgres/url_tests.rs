use super::*;

fn masked(text: &str) -> String {
    mask(text).to_string()
}

#[test]
fn the_password_between_user_and_host_is_masked() {
    assert_eq!(
        masked("postgres://launchpad:s3cret@db.internal:5432/launchpad"),
        "postgres://launchpad:***@db.internal:5432/launchpad"
    );
    assert_eq!(
        masked("postgresql://u:@localhost/db"),
        "postgresql://u:***@localhost/db"
    );
}

#[test]
fn a_url_without_a_password_is_shown_as_written() {
    for url in [
        "postgres://launchpad@db.internal:5432/launchpad?sslmode=require",
        "postgres://db.internal/launchpad",
        "postgres:///launchpad?host=/run/postgresql",
    ] {
        assert_eq!(masked(url), url);
    }
}

#[test]
fn a_password_parameter_is_masked_wherever_it_stands() {
    assert_eq!(
        masked("postgres://u@h/db?sslmode=require&password=s3cret&application_name=x"),
        "postgres://u@h/db?sslmode=require&password=***&application_name=x"
    );
    assert_eq!(
        masked("postgres://h/db?pass%77ord=s3cret"),
        "postgres://h/db?pass%77ord=***"
    );
    assert_eq!(
        masked("postgres://u:one@h/db?password=two"),
        "postgres://u:***@h/db?password=***"
    );
}

#[test]
fn special_characters_in_the_password_never_show() {
    for (url, secret) in [
        ("postgres://u:p%40ss%2Fw%3Ard@h:5432/db", "p%40ss"),
        ("postgres://u:p@ss@h:5432/db", "p@ss"),
        ("postgres://u:pa?ss/w:rd@h/db", "pa?ss"),
        ("postgres://u:pä ss#!$&@h/db", "pä ss"),
    ] {
        let shown = masked(url);
        assert!(!shown.contains(secret), "{url} shows as {shown}");
        assert!(shown.starts_with("postgres://u:***@"), "{shown}");
    }
}

#[test]
fn text_that_is_not_a_url_is_hidden_whole() {
    assert_eq!(masked("host=db password=s3cret"), "***");
    assert_eq!(masked("mysql://u:p@h/db"), "***");
}

#[test]
fn a_parsed_url_prints_masked_in_display_and_debug() {
    let url = PostgresUrl::parse("postgres://u:s3cret@db:5432/x?sslmode=require").unwrap();
    assert_eq!(
        url.to_string(),
        "postgres://u:***@db:5432/x?sslmode=require"
    );
    assert!(!format!("{url:?}").contains("s3cret"));
}

#[test]
fn sslmode_follows_libpq_names_and_verify_modes_mean_require() {
    let mode = |url: &str| PostgresUrl::parse(url).map(|u| u.tls());
    assert_eq!(mode("postgres://h/db"), Ok(TlsMode::Prefer));
    assert_eq!(
        mode("postgres://h/db?sslmode=disable"),
        Ok(TlsMode::Disable)
    );
    assert_eq!(mode("postgres://h/db?sslmode=prefer"), Ok(TlsMode::Prefer));
    assert_eq!(
        mode("postgres://h/db?sslmode=require"),
        Ok(TlsMode::Require)
    );
    assert_eq!(
        mode("postgres://h/db?connect_timeout=3&sslmode=verify-full"),
        Ok(TlsMode::Require)
    );
    assert_eq!(
        mode("postgres://h/db?sslmode=verify-ca"),
        Ok(TlsMode::Require)
    );
    assert_eq!(
        mode("postgres://h/db?sslmode=always"),
        Err(UrlError::SslMode("always".into()))
    );
    assert_eq!(
        mode("postgres://h/db?sslrootcert=/etc/rds.pem"),
        Err(UrlError::RootCertInUrl)
    );
}

#[test]
fn bad_urls_are_refused_without_their_password() {
    assert_eq!(
        PostgresUrl::parse("host=db password=x").unwrap_err(),
        UrlError::NotAUrl
    );
    assert_eq!(
        PostgresUrl::parse("postgres:///db").unwrap_err(),
        UrlError::NoHost
    );
    assert_eq!(
        PostgresUrl::parse("postgres://u:p@ss@db/x").unwrap_err(),
        UrlError::UnencodedAt
    );
    let invalid = PostgresUrl::parse("postgres://u:s3cret@db:port/x").unwrap_err();
    assert!(matches!(invalid, UrlError::Invalid(_)), "{invalid:?}");
    assert!(!invalid.to_string().contains("s3cret"), "{invalid}");
}

#[test]
fn local_means_loopback_or_a_unix_socket_for_every_host() {
    let local = |url: &str| PostgresUrl::parse(url).unwrap().is_local();
    for url in [
        "postgres://u:p@localhost/db",
        "postgres://u:p@127.0.0.1:5433/db",
        "postgres://u:p@127.8.9.10/db",
        "postgres://u:p@[::1]:5432/db",
        "postgres://u@%2Frun%2Fpostgresql/db",
        "postgres://u@/db?host=/run/postgresql",
        "postgres://u@db.internal/db?hostaddr=127.0.0.1",
    ] {
        assert!(local(url), "{url} should be local");
    }
    for url in [
        "postgres://u:p@db.internal/db",
        "postgres://u:p@10.0.0.5/db",
        "postgres://u:p@localhost,db.internal/db",
        "postgres://u:p@[2001:db8::1]/db",
        "postgres://u@localhost/db?hostaddr=10.0.0.5",
    ] {
        assert!(!local(url), "{url} should not be local");
    }
}
