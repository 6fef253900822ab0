//! The auth settings as `config check` sees them: every out-of-range value is
//! reported at once with exit 78, and production warns about a session cookie
//! without Secure but still accepts it.

use super::support::{both, launchpad};
use crate::helpers::run;

#[test]
fn every_out_of_range_auth_setting_is_reported_at_once_with_exit_78() {
    let dir = tempfile::tempdir().unwrap();

    let output = launchpad(
        dir.path(),
        &["config", "check"],
        &[
            ("LAUNCHPAD_ANONYMOUS_ROLE", "root"),
            ("LAUNCHPAD_AUTH_SESSION_IDLE_SECS", "0"),
            ("LAUNCHPAD_AUTH_SESSION_MAX_SECS", "2592001"),
            ("LAUNCHPAD_HTTP_TRUSTED_PROXIES", "not-an-ip"),
        ],
    );

    assert_eq!(output.status.code(), Some(78), "{}", both(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for key in [
        "auth.anonymous_role",
        "auth.session_idle_secs",
        "auth.session_max_secs",
        "http.trusted_proxies",
    ] {
        assert!(stderr.contains(key), "{key} is not reported:\n{stderr}");
    }
}

#[test]
fn config_check_in_production_warns_about_a_cookie_without_secure_but_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let identity = dir.path().join("identity.age");
    run(
        &["keys", "init", "--identity"],
        &data,
        &[identity.to_str().unwrap()],
    );
    let check = |env: &[(&str, &str)]| {
        let mut all = vec![
            ("LAUNCHPAD_DEMO_DATA", "false"),
            ("LAUNCHPAD_IDENTITY_FILE", identity.to_str().unwrap()),
        ];
        all.extend_from_slice(env);
        let output = launchpad(&data, &["config", "check"], &all);
        assert!(output.status.success(), "{}", both(&output));
        both(&output)
    };
    let mentions = |text: &str| text.matches("cookie_secure").count();

    let development = check(&[]);
    let production = check(&[("LAUNCHPAD_ENV", "production")]);
    let secure = check(&[
        ("LAUNCHPAD_ENV", "production"),
        ("LAUNCHPAD_AUTH_COOKIE_SECURE", "true"),
    ]);

    assert!(
        mentions(&production) > mentions(&development),
        "production does not warn about auth.cookie_secure = false:\n{production}"
    );
    assert_eq!(
        mentions(&secure),
        mentions(&development),
        "a Secure cookie still draws a warning:\n{secure}"
    );
}
