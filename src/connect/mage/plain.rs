//! The gate before a Mage login leaves this machine: its password and session token never go
//! over plain `http://` to a host that is not loopback unless `--insecure-http` says so (the
//! same rule as `--remote`'s API key, `connect/http/transport.rs`).

use crate::backend::{Error, Result};
use reqwest::Url;

/// Refuses `url` (given as `flag`) when it would send the Mage login's password and session
/// token in clear text — plain `http://` to a host that is not loopback — unless `plain`
/// allows it (`--insecure-http`). Nothing is sent; a URL that does not parse is left to
/// [`MageClient::new`] to refuse.
pub fn check_plain_http(url: &str, flag: &str, plain: crate::connect::PlainHttp) -> Result<()> {
    let trimmed = url.trim().trim_end_matches('/');
    let Ok(parsed) = Url::parse(trimmed) else {
        return Ok(());
    };
    if parsed.scheme() != "http"
        || plain == crate::connect::PlainHttp::Allowed
        || crate::connect::is_loopback(&parsed)
    {
        return Ok(());
    }
    let shown = crate::text::redact_url_passwords(trimmed);
    let host = crate::text::sanitize(parsed.host_str().unwrap_or_default()).into_owned();
    Err(Error::invalid(
        flag,
        format!(
            "refusing to send the Mage password and session token in clear text to '{host}' \
             ({} is plain http:// and not a loopback address): use https://, or pass \
             --insecure-http if the network between is trusted",
            crate::text::sanitize(&shown)
        ),
    ))
}
