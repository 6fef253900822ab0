//! Security headers on every answer, whatever its status, and HSTS only
//! when a max-age is configured.

use crate::helpers::spawn_app_with;
use reqwest::{Response, StatusCode};

fn assert_security_headers(response: &Response, what: &str) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("{what}: no {name}"))
    };
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
    let csp = header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_no_hsts_by_default() {
    let app = spawn_app_with(&[]).await;

    let ok = app.get("/health").await;
    let missing = app.get("/api/v1/nowhere").await;
    let refused = app.get("/api/v1/users").await;

    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    for (what, response) in [("200", &ok), ("404", &missing), ("401", &refused)] {
        assert_security_headers(response, what);
        assert!(
            response
                .headers()
                .get("strict-transport-security")
                .is_none(),
            "{what}: HSTS is on by default"
        );
    }
}

#[tokio::test]
async fn hsts_is_sent_when_a_max_age_is_configured() {
    let app = spawn_app_with(&[("LAUNCHPAD_HTTP_HSTS_MAX_AGE_SECS", "31536000")]).await;

    let ok = app.get("/health").await;
    let missing = app.get("/api/v1/nowhere").await;

    for (what, response) in [("200", &ok), ("404", &missing)] {
        assert_security_headers(response, what);
        let hsts = response
            .headers()
            .get("strict-transport-security")
            .unwrap_or_else(|| panic!("{what}: no HSTS"))
            .to_str()
            .unwrap();
        assert!(hsts.starts_with("max-age=31536000"), "{what}: {hsts}");
    }
}
