//! GET /admin/users?q=&after=: users whose username, email or name contains `q`, a page at a
//! time in username order (the same search as the admin API's).

use crate::oidc::admin::page::PageRequest;
use crate::oidc::admin::{self, AdminError};
use crate::state::AppState;
use crate::web::extract;
use crate::web::handlers::admin::{as_admin, enc, refusal_status};
use crate::web::templates::admin::lists::{AdminUsersPage, UserRow};
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_users(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let query = extract::query(&req);
    let q = query.get("q").unwrap_or("").trim().to_owned();
    let after = query.get("after").map(str::to_owned);
    let done = match query.get("done") {
        Some("removed") => "User removed.",
        _ => "",
    };
    let page_req = PageRequest {
        after: after.clone(),
        limit: None,
    };
    let search = q.clone();
    let found = as_admin(&req, &state, move |c, _, _| {
        match admin::users::search(c, &search, &page_req) {
            Ok(page) => Ok(Ok(page)),
            Err(AdminError::Store(e)) => Err(e),
            Err(refused) => Ok(Err(refused)),
        }
    })
    .await;
    let (ctx, page) = match found {
        Ok(found) => found,
        Err(res) => return res,
    };
    let (status, users, next, error) = match page {
        Ok(p) => (StatusCode::OK, p.items, p.next, String::new()),
        Err(e) => (refusal_status(&e), vec![], None, e.to_string()),
    };
    let link = |after: Option<&str>| {
        let mut url = format!("/admin/users?q={}", enc(&q));
        if let Some(a) = after {
            url.push_str(&format!("&after={}", enc(a)));
        }
        url
    };
    let rows = users
        .into_iter()
        .map(|u| UserRow {
            path: enc(&u.username),
            flags: [(u.is_admin, "admin"), (u.disabled, "disabled")]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, f)| *f)
                .collect::<Vec<_>>()
                .join(", "),
            name: u.name.unwrap_or_default(),
            email: u.email,
            username: u.username,
        })
        .collect();
    ctx.render(
        status,
        &AdminUsersPage {
            layout: ctx.layout("users").with_message(done).with_error(error),
            first: if after.is_some() {
                link(None)
            } else {
                String::new()
            },
            next: next.as_deref().map(|n| link(Some(n))).unwrap_or_default(),
            q,
            users: rows,
        },
    )
}
