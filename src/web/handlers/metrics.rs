//! GET /metrics, on the `metrics_bind` listener only (never on the public one).

use crate::state::AppState;
use crate::store::sessions;
use actix_web::{HttpResponse, web};

/// The Prometheus text format; `latchkey_sessions_active` is counted in the database now.
pub async fn get_metrics(state: web::Data<AppState>) -> HttpResponse {
    let st = state.clone();
    let text = web::block(move || {
        let (now, idle) = (st.clock.now(), st.settings.session_idle_timeout_secs);
        let live = st
            .store
            .read(|c| sessions::count_live_sessions(c, now, idle))
            .inspect_err(|e| tracing::warn!(error = %e, "cannot count sessions for /metrics"))
            .ok();
        st.metrics.render(live)
    })
    .await;
    match text {
        Ok(Ok(text)) => HttpResponse::Ok()
            .content_type(crate::metrics::CONTENT_TYPE)
            .insert_header(("Cache-Control", "no-store"))
            .body(text),
        Ok(Err(e)) => crate::web::error::internal(e),
        Err(e) => crate::web::error::internal(e),
    }
}
