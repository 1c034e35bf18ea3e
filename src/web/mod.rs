//! The HTTP adapter. This file holds THE route table.

pub mod handlers;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(handlers::healthz::get_healthz));
}
