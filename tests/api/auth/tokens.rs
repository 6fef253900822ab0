//! API tokens made through the API and the CLI: they act with their user's
//! role, are listed without their secret, stop working when revoked, and
//! each user sees and revokes only their own unless they are an admin.

use super::support::{
    ADMIN, EDITOR, PASSWORD, VIEWER, app_with_users, cli_token, folder_with_team, json_of, request,
    send, serve, sign_in, with_bearer, with_session,
};
use crate::helpers::problem;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_token_created_through_the_api_works_as_bearer_is_listed_without_its_secret_and_stops_working_when_revoked()
 {
    let app = app_with_users(&[(EDITOR, "editor", PASSWORD)], &[]).await;
    let cookie = sign_in(&app, EDITOR, PASSWORD).await;

    let (status, created) = json_of(
        send(
            with_session(request(&app, "POST", "/api/v1/tokens"), &cookie)
                .json(&json!({ "name": "deploy bot" })),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["token"].as_str().expect("the secret is shown once");
    let id = created["id"].as_str().expect("an id");
    assert!(secret.starts_with("lp_"), "{secret}");
    assert_eq!(created["name"], "deploy bot");
    assert!(created["createdAt"].is_string(), "{created}");

    let used = send(
        with_bearer(request(&app, "POST", "/api/v1/projects"), secret)
            .json(&json!({ "name": "Made by a token" })),
    )
    .await;
    let listing = send(with_bearer(request(&app, "GET", "/api/v1/tokens"), secret)).await;
    assert_eq!(listing.status(), StatusCode::OK);
    let listing_text = listing.text().await.unwrap();
    let revoked = send(with_session(
        request(&app, "DELETE", &format!("/api/v1/tokens/{id}")),
        &cookie,
    ))
    .await;
    let after = send(with_bearer(
        request(&app, "GET", "/api/v1/projects"),
        secret,
    ))
    .await;

    assert_eq!(
        used.status(),
        StatusCode::CREATED,
        "the token acts as the editor"
    );
    assert!(
        !listing_text.contains(secret),
        "the listing shows the secret: {listing_text}"
    );
    let list: Vec<Value> = serde_json::from_str(&listing_text).unwrap();
    let entry = list
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("the new token is not listed: {listing_text}"));
    assert_eq!(entry["name"], "deploy bot");
    assert!(entry.get("token").is_none(), "{entry}");
    for field in ["createdAt", "lastUsedAt", "userId"] {
        assert!(entry.get(field).is_some(), "{field} missing: {entry}");
    }
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    problem(after, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn cli_token_create_prints_a_token_that_acts_with_the_users_role() {
    let dir = folder_with_team();
    let editor = cli_token(dir.path(), EDITOR, "ci");
    let viewer = cli_token(dir.path(), VIEWER, "dashboard");
    let app = serve(dir, &[]).await;

    let read = send(with_bearer(
        request(&app, "GET", "/api/v1/projects"),
        &viewer,
    ))
    .await;
    let viewer_write = send(
        with_bearer(request(&app, "POST", "/api/v1/projects"), &viewer)
            .json(&json!({ "name": "Viewer may not" })),
    )
    .await;
    let editor_write = send(
        with_bearer(request(&app, "POST", "/api/v1/projects"), &editor)
            .json(&json!({ "name": "Editor may" })),
    )
    .await;
    let forged = send(with_bearer(
        request(&app, "GET", "/api/v1/projects"),
        &format!("{editor}x"),
    ))
    .await;

    assert_eq!(read.status(), StatusCode::OK);
    problem(viewer_write, StatusCode::FORBIDDEN).await;
    assert_eq!(editor_write.status(), StatusCode::CREATED);
    problem(forged, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_user_lists_and_revokes_only_their_own_tokens_while_an_admin_sees_and_revokes_all() {
    let dir = folder_with_team();
    let admin = cli_token(dir.path(), ADMIN, "ops");
    let editor = cli_token(dir.path(), EDITOR, "ci");
    let viewer = cli_token(dir.path(), VIEWER, "dashboard");
    let app = serve(dir, &[]).await;
    let list = |token: String| {
        let builder = with_bearer(request(&app, "GET", "/api/v1/tokens"), &token);
        async move {
            let (status, body) = json_of(send(builder).await).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body.as_array().unwrap().clone()
        }
    };

    let editor_view = list(editor.clone()).await;
    let viewer_view = list(viewer.clone()).await;
    let admin_view = list(admin.clone()).await;
    let editor_token_id = editor_view
        .iter()
        .find(|t| t["name"] == "ci")
        .expect("the editor sees their token")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_viewer = send(with_bearer(
        request(&app, "DELETE", &format!("/api/v1/tokens/{editor_token_id}")),
        &viewer,
    ))
    .await;
    let still = send(with_bearer(
        request(&app, "GET", "/api/v1/projects"),
        &editor,
    ))
    .await;
    let by_admin = send(with_bearer(
        request(&app, "DELETE", &format!("/api/v1/tokens/{editor_token_id}")),
        &admin,
    ))
    .await;
    let gone = send(with_bearer(
        request(&app, "GET", "/api/v1/projects"),
        &editor,
    ))
    .await;

    for (who, view, name) in [
        ("editor", &editor_view, "ci"),
        ("viewer", &viewer_view, "dashboard"),
    ] {
        assert_eq!(view.len(), 1, "{who} sees other tokens: {view:?}");
        assert_eq!(view[0]["name"], name);
    }
    assert_ne!(editor_view[0]["userId"], viewer_view[0]["userId"]);
    let names: Vec<&str> = admin_view
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for name in ["ops", "ci", "dashboard"] {
        assert!(
            names.contains(&name),
            "the admin does not see {name}: {names:?}"
        );
    }
    assert!(
        !matches!(by_viewer.status().as_u16(), 200..=299),
        "a viewer revoked someone else's token: {}",
        by_viewer.status()
    );
    assert_eq!(still.status(), StatusCode::OK);
    assert_eq!(by_admin.status(), StatusCode::NO_CONTENT);
    problem(gone, StatusCode::UNAUTHORIZED).await;
}
