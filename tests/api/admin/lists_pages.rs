//! The admin's long lists: users searched and paged, the audit log filtered and paged, and its
//! CSV (formulas defused) and JSON-lines downloads.

use crate::support::*;

#[tokio::test]
async fn users_are_searched_and_paged_fifty_at_a_time() {
    let app = admin_app().await;
    for i in 0..60 {
        add_user(
            &app,
            &format!("user{i:02}"),
            &format!("u{i:02}@corp.example"),
            Some("Team Member"),
        );
    }
    let (status, html) = admin_page(&app, "/admin/users?q=corp.example").await;
    assert_eq!(status, 200);
    assert_eq!(
        html.matches("<th scope=\"row\">").count(),
        50,
        "a page of 50"
    );
    assert!(html.contains("href=\"/admin/users/user00\""));
    assert!(
        !html.contains("href=\"/admin/users/alice\""),
        "alice does not match"
    );
    let upto = html.find("\" rel=\"next\"").expect("a next page");
    let start = html[..upto].rfind("href=\"").unwrap() + "href=\"".len();
    let next = html[start..upto]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert!(
        next.starts_with("/admin/users?q=corp.example&after="),
        "{next}"
    );
    let (_, page2) = admin_page(&app, &next).await;
    assert_eq!(page2.matches("<th scope=\"row\">").count(), 10);
    assert!(page2.contains("href=\"/admin/users/user59\""));
    assert!(!page2.contains("rel=\"next\""), "the last page");
    assert!(page2.contains(">First page</a>"));

    let (_, one) = admin_page(&app, "/admin/users?q=USER07").await;
    assert_eq!(
        one.matches("<th scope=\"row\">").count(),
        1,
        "case-insensitive: {one}"
    );
    let long = "x".repeat(201);
    let (status, html) = admin_page(&app, &format!("/admin/users?q={long}")).await;
    assert_eq!(status, 400);
    assert!(html.contains("at most 200 characters"), "{html}");
}

#[tokio::test]
async fn the_audit_log_is_filtered_and_exported_with_formulas_defused() {
    let app = admin_app().await;
    let stranger = fresh_browser();
    // Strangers type usernames that a spreadsheet would take for formulas (`@` and `-` may
    // start a username; other characters are escaped before they reach the log).
    login_attempt(&app, &stranger, &[], "@SUM.evil", "x").await;
    login_attempt(&app, &stranger, &[], "-1", "x").await;
    login_attempt(&app, &stranger, &[], "alice", "wrong password").await;

    let (status, html) = admin_page(&app, "/admin/audit?kind=login.failed").await;
    assert_eq!(status, 200);
    assert!(html.contains("<code>login.failed</code>"), "{html}");
    assert!(
        !html.contains("<code>login.succeeded</code>"),
        "only that kind"
    );
    let (_, alices) = admin_page(&app, "/admin/audit?user=alice&kind=login").await;
    assert!(
        alices.contains("<td>alice</td>") || alices.contains(">alice<"),
        "{alices}"
    );
    assert!(!alices.contains("SUM.evil"), "only alice's events");
    let (status, bad) = admin_page(&app, "/admin/audit?since=yesterday").await;
    assert_eq!(status, 400);
    assert!(
        bad.contains("since &#34;yesterday&#34;: use a duration"),
        "{bad}"
    );

    let csv = browse(&app, "/admin/audit.csv?kind=login.failed").await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let text = csv.text().await.unwrap();
    assert!(
        text.starts_with("id,time,at,kind,actor,subject,client_id,ip,detail"),
        "{text}"
    );
    assert!(
        text.contains(",'@SUM.evil,"),
        "the formula is defused: {text}"
    );
    assert!(text.contains(",'-1,"), "{text}");
    assert!(!text.contains(",@SUM") && !text.contains(",-1,"), "{text}");

    let jsonl = browse(&app, "/admin/audit.jsonl?kind=login.failed").await;
    assert_eq!(jsonl.status(), 200);
    let text = jsonl.text().await.unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines.iter().all(|l| l["kind"] == "login.failed"));
    assert!(
        lines.iter().any(|l| l["actor"] == "@SUM.evil"),
        "as typed: {text}"
    );
}

#[tokio::test]
async fn a_non_admin_gets_403_on_the_lists_and_the_downloads() {
    let app = spawn_oidc_app().await;
    add_root(&app);
    sign_in(&app, "alice").await;
    for path in [
        "/admin/users",
        "/admin/users?q=root",
        "/admin/audit",
        "/admin/audit.csv",
        "/admin/audit.jsonl",
    ] {
        let res = browse(&app, path).await;
        assert_eq!(res.status(), 403, "GET {path}");
        assert!(res.text().await.unwrap().contains("for administrators"));
    }
}
