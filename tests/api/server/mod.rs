//! The server as a whole: health checks, request limits, bounds on stored requests.

mod health_check;
mod limits;
mod shutdown;
mod storage_bounds;
mod systemd_unit;
