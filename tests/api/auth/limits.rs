//! Brute force and rate limits: the per-account lockout, the per-IP login
//! limit, `X-Forwarded-For` honoured only from a trusted proxy, and the
//! per-client API budget, each refused with a 429 and Retry-After.

use super::support::{PASSWORD, VIEWER, app_with_users, request, send};
use crate::helpers::{TestApp, problem, spawn_app_with};
use reqwest::{Response, StatusCode};
use serde_json::json;
use std::time::Duration;

const RATE_LIMITED: &str = "urn:launchpad:problem:rate-limited";

/// A login from a given client IP, as a trusted proxy would forward it.
async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("request sent")
}

fn retry_after(response: &Response) -> u64 {
    let raw = response
        .headers()
        .get("retry-after")
        .expect("a 429 carries Retry-After")
        .to_str()
        .unwrap()
        .to_owned();
    raw.trim()
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After is not whole seconds: {raw:?}"))
}

#[tokio::test]
async fn an_attacker_hammering_one_account_is_locked_out_without_locking_out_others() {
    let victim = "victim@example.com";
    let bystander = "bystander@example.com";
    let app = app_with_users(
        &[
            (victim, "viewer", PASSWORD),
            (bystander, "viewer", PASSWORD),
        ],
        &[("LAUNCHPAD_HTTP_TRUSTED_PROXIES", "127.0.0.1")],
    )
    .await;
    let attacker_ip = "203.0.113.66";
    let owner_ip = "198.51.100.7";
    let bystander_ip = "192.0.2.8";

    let mut attempts = 0;
    let mut limited = None;
    while attempts < 100 {
        attempts += 1;
        let r = login_from(
            &app,
            attacker_ip,
            victim,
            &format!("guess number {attempts} x"),
        )
        .await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {attempts}");
    }
    let limited = limited.expect("100 wrong passwords were never refused with 429");
    let attacker_wait = retry_after(&limited);
    let body = problem(limited, StatusCode::TOO_MANY_REQUESTS).await;
    let locked_for_attacker = login_from(&app, attacker_ip, victim, PASSWORD).await;
    let locked_for_owner = login_from(&app, owner_ip, victim, PASSWORD).await;
    let owner_wait = if locked_for_owner.status() == StatusCode::TOO_MANY_REQUESTS {
        retry_after(&locked_for_owner)
    } else {
        0
    };
    let other_account = login_from(&app, bystander_ip, bystander, PASSWORD).await;

    assert!(
        attempts <= 6,
        "the lockout after 5 failures came only at attempt {attempts}"
    );
    assert!(attacker_wait >= 1, "Retry-After: {attacker_wait}");
    assert_eq!(body["type"], RATE_LIMITED, "{body}");
    assert_eq!(
        locked_for_attacker.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the right password got in while the account is locked"
    );
    assert_eq!(
        locked_for_owner.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the lockout is per account, from any IP"
    );
    assert_eq!(
        other_account.status(),
        StatusCode::OK,
        "another account from another IP was refused"
    );
    assert!(
        (1..=8).contains(&owner_wait),
        "a lockout after about 5 failures should back off seconds, not {owner_wait}s"
    );

    tokio::time::sleep(Duration::from_millis(owner_wait * 1000 + 600)).await;
    let after_the_wait = login_from(&app, owner_ip, victim, PASSWORD).await;

    assert_eq!(
        after_the_wait.status(),
        StatusCode::OK,
        "the owner is still locked out after Retry-After ({owner_wait}s)"
    );
}

#[tokio::test]
async fn one_ip_spraying_many_accounts_hits_the_per_ip_limit_while_other_ips_still_log_in() {
    let app = app_with_users(
        &[(VIEWER, "viewer", PASSWORD)],
        &[("LAUNCHPAD_HTTP_TRUSTED_PROXIES", "127.0.0.1")],
    )
    .await;

    let mut attempts = 0;
    let mut limited = None;
    while attempts < 30 {
        attempts += 1;
        let email = format!("sprayed{attempts}@example.com");
        let r = login_from(&app, "203.0.113.99", &email, PASSWORD).await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {attempts}");
    }
    let elsewhere = login_from(&app, "198.51.100.23", VIEWER, PASSWORD).await;

    let limited = limited.expect("30 attempts from one IP were never refused");
    assert!(
        attempts <= 11,
        "the per-IP limit of 10 a minute let {attempts} attempts through"
    );
    assert!(retry_after(&limited) >= 1);
    let body = problem(limited, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(body["type"], RATE_LIMITED);
    assert_eq!(elsewhere.status(), StatusCode::OK);
}

#[tokio::test]
async fn x_forwarded_for_from_an_untrusted_peer_is_ignored_so_it_cannot_dodge_the_ip_limit() {
    let app = app_with_users(&[(VIEWER, "viewer", PASSWORD)], &[]).await;

    let mut attempts = 0;
    let mut limited = false;
    while attempts < 30 {
        attempts += 1;
        let ip = format!("203.0.113.{attempts}");
        let email = format!("sprayed{attempts}@example.com");
        if login_from(&app, &ip, &email, PASSWORD).await.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }

    assert!(
        limited,
        "a fresh X-Forwarded-For each time escaped the limit"
    );
    assert!(attempts <= 11, "{attempts} attempts got through");
}

#[tokio::test]
async fn api_requests_beyond_the_per_second_budget_get_429_per_client() {
    let app = spawn_app_with(&[
        ("LAUNCHPAD_ANONYMOUS_ROLE", "viewer"),
        ("LAUNCHPAD_AUTH_API_REQUESTS_PER_SECOND", "1"),
        ("LAUNCHPAD_HTTP_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let get_from = |ip: &'static str| {
        send(request(&app, "GET", "/api/v1/projects").header("x-forwarded-for", ip))
    };

    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..10 {
        let r = get_from("203.0.113.5").await;
        statuses.push(r.status());
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let other = get_from("198.51.100.5").await;

    let limited = limited.unwrap_or_else(|| panic!("never limited: {statuses:?}"));
    assert!(
        statuses.len() <= 4,
        "a budget of 1/s with a burst of 2 allowed {statuses:?}"
    );
    assert!(retry_after(&limited) >= 1);
    let body = problem(limited, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(body["type"], RATE_LIMITED);
    assert_eq!(
        other.status(),
        StatusCode::OK,
        "another client IP was limited"
    );
}
