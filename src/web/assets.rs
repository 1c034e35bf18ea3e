//! Static files: embedded in the binary, optionally replaced or extended by `theme_dir/static/`.

use crate::state::AppState;
use actix_web::{HttpResponse, web};

#[derive(rust_embed::RustEmbed)]
#[folder = "static/"]
struct Static;

fn mime(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// Only plain file names: no paths, no dot files (so nothing outside the folder is reachable).
fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

pub async fn get_static(path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let name = path.into_inner();
    if !safe_name(&name) {
        return HttpResponse::NotFound().finish();
    }
    let themed = match &state.settings.theme_dir {
        Some(dir) => web::block({
            let file = dir.join("static").join(&name);
            move || std::fs::read(file).ok()
        })
        .await
        .ok()
        .flatten(),
        None => None,
    };
    let body = match themed {
        Some(bytes) => bytes,
        None => match Static::get(&name) {
            Some(file) => file.data.into_owned(),
            None => return HttpResponse::NotFound().finish(),
        },
    };
    HttpResponse::Ok()
        .content_type(mime(&name))
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body)
}
