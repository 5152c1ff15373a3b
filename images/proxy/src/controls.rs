//! The traffic controls a proxied request meets, each off by default: the rate limits (`ratelimit`),
//! the upstream response timeout and HSTS (`hsts`). Off, each costs the request one branch.

use std::time::Duration;

use http::header::HeaderValue;

use crate::config::Traffic;
use crate::{hsts, ratelimit};

pub const RATE_LIMITED_BODY: &str = "429 Too Many Requests: rate limit exceeded\n";
pub const RESPONSE_TIMEOUT_BODY: &str = "504 Gateway Timeout: the upstream did not answer in time\n";

pub struct Controls {
    /// None when both rate limits are off.
    pub limits: Option<ratelimit::Limits>,
    /// --upstream-response-timeout: from the request sent to the app to its response's head.
    pub response_timeout: Option<Duration>,
    /// The Strict-Transport-Security value, with --hsts-max-age.
    pub hsts: Option<HeaderValue>,
}

impl Controls {
    pub fn new(t: &Traffic) -> Self {
        let limits = ratelimit::Limits::new(t);
        Self {
            limits: limits.is_on().then_some(limits),
            response_timeout: (!t.upstream_response_timeout.is_zero()).then_some(t.upstream_response_timeout),
            hsts: hsts::value(t),
        }
    }
}
