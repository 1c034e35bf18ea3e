//! Static files, embedded in the binary.

use actix_web::{HttpResponse, web};

#[derive(rust_embed::RustEmbed)]
#[folder = "static/"]
struct Static;

pub async fn get_static(path: web::Path<String>) -> HttpResponse {
    let name = path.into_inner();
    match Static::get(&name) {
        Some(file) => {
            let mime = if name.ends_with(".css") {
                "text/css; charset=utf-8"
            } else if name.ends_with(".js") {
                "text/javascript; charset=utf-8"
            } else {
                "application/octet-stream"
            };
            HttpResponse::Ok()
                .content_type(mime)
                .insert_header(("Cache-Control", "public, max-age=3600"))
                .insert_header(("X-Content-Type-Options", "nosniff"))
                .body(file.data.into_owned())
        }
        None => HttpResponse::NotFound().finish(),
    }
}
