//! /admin: who may use it (the gate) and the dashboard.

mod gate;
mod signin_check;
