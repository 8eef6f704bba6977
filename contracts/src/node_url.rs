//! A node's RPC URL, kept whole for connecting and shown without its secrets. Hosted RPC
//! providers put the account's key in the path (`https://eth-mainnet.example/v2/KEY`) or the
//! query, and some nodes take a password in the URL: none of that may reach a log, an error
//! message or the terminal, so everything that names the node shows [`NodeUrl`]'s `Display`.

use std::fmt;

/// An RPC URL whose `Display` keeps the scheme, host and port and elides the rest.
#[derive(Clone, PartialEq, Eq)]
pub struct NodeUrl {
    full: String,
    shown: String,
}

impl NodeUrl {
    /// Wraps `url` as given (it need not parse: a malformed URL is shown the same way).
    pub fn new(url: &str) -> NodeUrl {
        NodeUrl {
            full: url.to_owned(),
            shown: without_secrets(url),
        }
    }

    /// The whole URL, secrets included: only for connecting to the node again.
    pub fn secret(&self) -> &str {
        &self.full
    }

    /// `text` (an HTTP client's error, which quotes the URL it requested) with every copy of
    /// this URL replaced by its shown form.
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_owned();
        // The HTTP client quotes the URL as it parsed it: host lower-cased, a bare
        // authority given a trailing slash.
        let parsed = alloy::transports::http::reqwest::Url::parse(&self.full).ok();
        for form in [
            Some(self.full.as_str()),
            parsed.as_ref().map(|u| u.as_str()),
        ]
        .into_iter()
        .flatten()
        {
            if form != self.shown && !form.is_empty() {
                text = text.replace(form, &self.shown);
            }
        }
        text
    }
}

impl fmt::Display for NodeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for NodeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeUrl({})", self.shown)
    }
}

/// `scheme://host:port` (the host lower-cased, as clients print it), with `/…` when a path, query or fragment followed, and no user or
/// password.
fn without_secrets(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
        .to_ascii_lowercase();
    let elided = if tail.is_empty() || tail == "/" {
        ""
    } else {
        "/…"
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{host}{elided}"),
        None => format!("{host}{elided}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_the_path_query_or_user_part_are_not_shown() {
        for (url, shown) in [
            ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
            ("http://127.0.0.1:8545/", "http://127.0.0.1:8545"),
            (
                "https://eth.example.org/v2/s3cr3tkey",
                "https://eth.example.org/…",
            ),
            (
                "https://rpc.example.org/?apikey=s3cr3tkey",
                "https://rpc.example.org/…",
            ),
            (
                "https://user:s3cr3tkey@node.example:8545/",
                "https://node.example:8545",
            ),
            ("not a url/s3cr3tkey", "not a url/…"),
        ] {
            let node = NodeUrl::new(url);
            assert_eq!(node.to_string(), shown, "{url}");
            assert_eq!(format!("{node:?}"), format!("NodeUrl({shown})"));
            assert_eq!(node.secret(), url);
        }
    }

    #[test]
    fn client_errors_are_scrubbed_of_the_url_in_either_form() {
        let node = NodeUrl::new("https://Eth.Example.org/v2/s3cr3tkey");
        let error = "error sending request for url (https://eth.example.org/v2/s3cr3tkey): \
                     connection refused; retried https://Eth.Example.org/v2/s3cr3tkey";
        let scrubbed = node.scrub(error);
        assert!(!scrubbed.contains("s3cr3tkey"), "{scrubbed}");
        assert!(scrubbed.contains("https://eth.example.org/…"), "{scrubbed}");
    }
}
