//! The middleware behind `latchkey_http_requests_total` and
//! `latchkey_http_request_duration_seconds`: the time until the response head is ready, by
//! route pattern (`HttpRequest::match_pattern`, e.g. `/static/{name}`), never by raw path.
//!
//! Each worker builds its own copy (actix calls the app factory once per worker), with its own
//! [`RequestRecorder`]: no lock is shared between workers on the way of a request.

use crate::metrics::{Metrics, RequestRecorder};
use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

/// `App::wrap(RecordRequests(state.metrics.clone()))`.
pub struct RecordRequests(pub Arc<Metrics>);

impl<S, B> Transform<S, ServiceRequest> for RecordRequests
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = Recorded<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(Recorded {
            service,
            recorder: Rc::new(RequestRecorder::new(self.0.clone())),
        }))
    }
}

pub struct Recorded<S> {
    service: S,
    recorder: Rc<RequestRecorder>,
}

impl<S, B> Service<ServiceRequest> for Recorded<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Recording<S::Future>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        Recording {
            started: Instant::now(),
            recorder: self.recorder.clone(),
            inner: self.service.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner service's future; records the answer when it is ready.
    pub struct Recording<F> {
        #[pin]
        inner: F,
        started: Instant,
        recorder: Rc<RequestRecorder>,
    }
}

impl<F, B> Future for Recording<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let out = match this.inner.poll(cx) {
            Poll::Ready(out) => out,
            Poll::Pending => return Poll::Pending,
        };
        let took = this.started.elapsed();
        match &out {
            Ok(res) => {
                let pattern = res.request().match_pattern();
                this.recorder
                    .record(pattern.as_deref(), res.status().as_u16(), took);
            }
            // Handlers answer errors themselves; this is a failure before any route ran.
            Err(e) => {
                let status = e.as_response_error().status_code().as_u16();
                this.recorder.record(None, status, took);
            }
        }
        Poll::Ready(out)
    }
}
