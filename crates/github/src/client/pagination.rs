//! Pagination by the `Link` header: follow `rel="next"` until there is none or the page bound is
//! reached.

use reqwest::Url;
use reqwest::header::HeaderMap;

/// The `rel="next"` URL of a `Link` header, e.g.
/// `<https://api.github.com/repositories/1/pulls/2/files?page=2>; rel="next", <...>; rel="last"`.
pub(crate) fn next_link(headers: &HeaderMap) -> Option<String> {
    headers.get_all(reqwest::header::LINK).iter().filter_map(|v| v.to_str().ok()).find_map(next_in)
}

fn next_in(value: &str) -> Option<String> {
    // Split on `<` rather than `,`: a URL may in principle contain a comma.
    for part in value.split('<').skip(1) {
        let Some((url, params)) = part.split_once('>') else { continue };
        let is_next = params.split(';').any(|p| {
            let p = p.trim().trim_end_matches(',').trim();
            p.strip_prefix("rel=")
                .map(|r| r.trim_matches('"').split_whitespace().any(|r| r == "next"))
                .unwrap_or(false)
        });
        if is_next {
            return Some(url.trim().to_string());
        }
    }
    None
}

/// Whether `link` may be followed with our credentials: same scheme, host and port as the base
/// URL, and under its path (GitHub Enterprise Server serves the API under `/api/v3`).
pub(crate) fn same_origin(base: &Url, link: &Url) -> bool {
    base.scheme() == link.scheme()
        && base.host_str() == link.host_str()
        && base.port_or_known_default() == link.port_or_known_default()
        && link.path().starts_with(base.path().trim_end_matches('/'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn next_is_found_among_the_relations() {
        let v = "<https://api.github.com/repositories/1/pulls/2/files?per_page=100&page=2>; \
                 rel=\"next\", <https://api.github.com/repositories/1/pulls/2/files?page=5>; rel=\"last\"";
        let mut h = HeaderMap::new();
        h.insert(reqwest::header::LINK, HeaderValue::from_static(v));
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://api.github.com/repositories/1/pulls/2/files?per_page=100&page=2")
        );
        assert_eq!(
            next_in("<https://x/?page=1>; rel=\"prev\", <https://x/?page=1>; rel=\"first\""),
            None
        );
        assert_eq!(
            next_in("<https://x/?a=1,2>; rel=\"next\"").as_deref(),
            Some("https://x/?a=1,2")
        );
        assert_eq!(next_in("<https://x/?p=3>; rel=next").as_deref(), Some("https://x/?p=3"));
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn only_links_under_the_base_url_are_followed() {
        let base = Url::parse("https://ghe.example.com/api/v3").unwrap();
        let ok = Url::parse("https://ghe.example.com/api/v3/repositories/1/pulls?page=2").unwrap();
        assert!(same_origin(&base, &ok));
        for bad in [
            "http://ghe.example.com/api/v3/x",
            "https://evil.example.com/api/v3/x",
            "https://ghe.example.com:8443/api/v3/x",
            "https://ghe.example.com/other",
        ] {
            assert!(!same_origin(&base, &Url::parse(bad).unwrap()), "{bad}");
        }
        let base = Url::parse("https://api.github.com").unwrap();
        assert!(same_origin(&base, &Url::parse("https://api.github.com/x?page=2").unwrap()));
    }
}
