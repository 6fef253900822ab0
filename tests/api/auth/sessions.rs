//! Sessions: the cookie's attributes and when it is Secure, the same answer
//! for a wrong password and an unknown email, the idle and maximum lifetimes,
//! and the same-origin check that guards unsafe requests made by cookie.

use super::support::{
    EDITOR, PASSWORD, VIEWER, app_with_users, cookie_pair, json_of, login, request, send,
    session_set_cookie, sign_in, with_session,
};
use crate::helpers::problem;
use reqwest::{Response, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};

const CSRF: &str = "urn:launchpad:problem:csrf";

#[tokio::test]
async fn a_session_cookie_can_read_but_an_unsafe_request_needs_a_same_origin_or_x_requested_with() {
    let app = app_with_users(&[(VIEWER, "viewer", PASSWORD)], &[]).await;
    let cookie = sign_in(&app, VIEWER, PASSWORD).await;
    let unsafe_post = || {
        request(&app, "POST", "/api/v1/tokens")
            .header("cookie", &cookie)
            .json(&json!({ "name": "csrf probe" }))
    };

    let read = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;
    let bare = send(unsafe_post()).await;
    let foreign = send(unsafe_post().header("origin", "https://evil.example")).await;
    let other_port = send(unsafe_post().header("origin", "http://127.0.0.1:1")).await;
    let same_origin = send(unsafe_post().header("origin", &app.address)).await;
    let marked = send(unsafe_post().header("x-requested-with", "launchpad")).await;

    assert_eq!(read.status(), StatusCode::OK);
    let bare = problem(bare, StatusCode::FORBIDDEN).await;
    assert_eq!(bare["type"], CSRF, "{bare}");
    let foreign = problem(foreign, StatusCode::FORBIDDEN).await;
    assert_eq!(foreign["type"], CSRF, "{foreign}");
    let other_port = problem(other_port, StatusCode::FORBIDDEN).await;
    assert_eq!(other_port["type"], CSRF, "{other_port}");
    assert_eq!(same_origin.status(), StatusCode::CREATED);
    assert_eq!(marked.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn login_sets_an_httponly_samesite_strict_cookie_and_logout_ends_the_session() {
    let app = app_with_users(&[(EDITOR, "editor", PASSWORD)], &[]).await;

    let response = login(&app, EDITOR, PASSWORD).await;
    let set_cookie = session_set_cookie(&response).expect("an lp_session cookie");
    let (status, body) = json_of(response).await;
    let cookie = cookie_pair(&set_cookie);
    let (me_status, me) =
        json_of(send(request(&app, "GET", "/api/v1/auth/me").header("cookie", &cookie)).await)
            .await;
    let before = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;
    let logout = send(with_session(
        request(&app, "POST", "/api/v1/auth/logout"),
        &cookie,
    ))
    .await;
    let cleared = session_set_cookie(&logout);
    let logout_status = logout.status();
    let after = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["email"], EDITOR, "{body}");
    assert_eq!(body["user"]["role"], "editor", "{body}");
    assert!(body["user"]["id"].is_string(), "{body}");
    let attributes: Vec<String> = set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attributes.iter().any(|a| a == "httponly"), "{set_cookie}");
    assert!(
        attributes.iter().any(|a| a == "samesite=strict"),
        "{set_cookie}"
    );
    assert!(attributes.iter().any(|a| a == "path=/"), "{set_cookie}");
    assert!(
        !attributes.iter().any(|a| a == "secure"),
        "Secure is off by default: {set_cookie}"
    );
    assert_eq!(me_status, StatusCode::OK);
    assert_eq!(me["user"]["email"], EDITOR, "{me}");
    assert_eq!(me["user"]["role"], "editor", "{me}");
    assert_eq!(me["user"]["id"], body["user"]["id"]);
    assert_eq!(before.status(), StatusCode::OK);
    assert_eq!(logout_status, StatusCode::NO_CONTENT);
    let cleared = cleared.expect("logout clears the cookie");
    assert!(
        cleared.to_ascii_lowercase().contains("max-age=0"),
        "{cleared}"
    );
    problem(after, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn with_cookie_secure_the_session_cookie_is_marked_secure() {
    let app = app_with_users(
        &[(VIEWER, "viewer", PASSWORD)],
        &[("LAUNCHPAD_AUTH_COOKIE_SECURE", "true")],
    )
    .await;

    let response = login(&app, VIEWER, PASSWORD).await;

    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = session_set_cookie(&response).expect("an lp_session cookie");
    assert!(
        set_cookie
            .split(';')
            .any(|a| a.trim().eq_ignore_ascii_case("secure")),
        "{set_cookie}"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_that_terminates_tls_the_session_cookie_is_secure() {
    let app = app_with_users(
        &[(VIEWER, "viewer", PASSWORD)],
        &[("LAUNCHPAD_HTTP_TRUSTED_PROXIES", "127.0.0.1")],
    )
    .await;
    let body = json!({ "email": VIEWER, "password": PASSWORD });

    let over_tls = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-proto", "https")
        .json(&body)
        .send()
        .await
        .unwrap();
    let plain = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-proto", "http")
        .json(&body)
        .send()
        .await
        .unwrap();

    let secure = |r: &Response| {
        session_set_cookie(r)
            .unwrap()
            .split(';')
            .any(|a| a.trim().eq_ignore_ascii_case("secure"))
    };
    assert!(secure(&over_tls));
    assert!(!secure(&plain));
}

#[tokio::test]
async fn a_client_that_is_not_a_trusted_proxy_cannot_claim_tls_for_its_cookie() {
    let app = app_with_users(&[(VIEWER, "viewer", PASSWORD)], &[]).await;

    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-proto", "https")
        .json(&json!({ "email": VIEWER, "password": PASSWORD }))
        .send()
        .await
        .unwrap();

    let cookie = session_set_cookie(&response).unwrap();
    assert!(
        !cookie
            .split(';')
            .any(|a| a.trim().eq_ignore_ascii_case("secure")),
        "{cookie}"
    );
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let app = app_with_users(&[(VIEWER, "viewer", PASSWORD)], &[]).await;

    let wrong_password = problem(
        login(&app, VIEWER, "not the right passphrase 17").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let unknown_email = problem(
        login(&app, "nobody.here@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    for field in ["type", "title", "detail"] {
        assert_eq!(
            wrong_password[field], unknown_email[field],
            "{field} tells the two apart"
        );
    }
    let text = wrong_password.to_string();
    assert!(
        !text.contains(VIEWER),
        "the answer names the account: {text}"
    );
}

#[tokio::test]
async fn a_session_idle_for_longer_than_session_idle_secs_gets_401() {
    let app = app_with_users(
        &[(VIEWER, "viewer", PASSWORD)],
        &[("LAUNCHPAD_AUTH_SESSION_IDLE_SECS", "1")],
    )
    .await;
    let cookie = sign_in(&app, VIEWER, PASSWORD).await;
    let fresh = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let stale = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;

    assert_eq!(fresh.status(), StatusCode::OK);
    problem(stale, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn activity_keeps_a_session_alive_past_the_idle_timeout_until_it_goes_quiet() {
    let app = app_with_users(
        &[(VIEWER, "viewer", PASSWORD)],
        &[("LAUNCHPAD_AUTH_SESSION_IDLE_SECS", "2")],
    )
    .await;
    let cookie = sign_in(&app, VIEWER, PASSWORD).await;
    let started = Instant::now();

    let mut statuses = Vec::new();
    while started.elapsed() < Duration::from_millis(4000) {
        let r = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;
        statuses.push((started.elapsed(), r.status()));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let quiet = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;

    assert!(
        statuses.iter().all(|(_, s)| *s == StatusCode::OK),
        "an active session expired: {statuses:?}"
    );
    problem(quiet, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_session_older_than_session_max_secs_gets_401_even_while_active() {
    let app = app_with_users(
        &[(VIEWER, "viewer", PASSWORD)],
        &[("LAUNCHPAD_AUTH_SESSION_MAX_SECS", "2")],
    )
    .await;
    let before_login = Instant::now();
    let cookie = sign_in(&app, VIEWER, PASSWORD).await;
    let signed_in = Instant::now();

    let mut statuses = Vec::new();
    loop {
        let r = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;
        let status = r.status();
        statuses.push((signed_in.elapsed(), status));
        if status != StatusCode::OK || before_login.elapsed() > Duration::from_secs(6) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let (ended_at, last) = *statuses.last().unwrap();
    assert_eq!(
        last,
        StatusCode::UNAUTHORIZED,
        "the session outlived session_max_secs=2: {statuses:?}"
    );
    assert!(
        statuses.len() >= 3
            && statuses[..statuses.len() - 1]
                .iter()
                .all(|(_, s)| *s == StatusCode::OK),
        "the session was not usable while young: {statuses:?}"
    );
    // Whole-second clocks may round the 2 s either way by up to one second.
    assert!(
        ended_at >= Duration::from_millis(1000) && ended_at <= Duration::from_millis(3600),
        "the session ended at {ended_at:?}, not about 2 s after login: {statuses:?}"
    );
}
