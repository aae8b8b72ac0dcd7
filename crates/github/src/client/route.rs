//! Routes: the templated path GitHub documents (for metrics and logs) and the concrete path with
//! every parameter percent-encoded.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters is encoded, `/` included: a ref `feature/x`
/// must be sent as `feature%2Fx` or it matches no route (and a label `a/b` would change the path).
const PATH_PARAM: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A request path and the template it was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    /// The documented route, e.g. `/repos/{owner}/{repo}/pulls/{pull_number}`: the metrics label.
    pub template: &'static str,
    /// The concrete, encoded path, e.g. `/repos/o/r/pulls/12`.
    pub path: String,
}

/// Percent-encodes one path parameter.
pub(crate) fn encode_param(value: &str) -> String {
    // `.` and `..` are unreserved but would be collapsed by URL normalisation.
    if value == "." || value == ".." {
        return value.replace('.', "%2E");
    }
    utf8_percent_encode(value, PATH_PARAM).to_string()
}

/// Fills the `{...}` placeholders of `template` in order with encoded `params`.
pub(crate) fn route(template: &'static str, params: &[&str]) -> Route {
    let mut path = String::with_capacity(template.len() + 32);
    let mut rest = template;
    let mut params = params.iter();
    while let Some(open) = rest.find('{') {
        path.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else { break };
        match params.next() {
            Some(p) => path.push_str(&encode_param(p)),
            None => path.push_str(&rest[open..open + close + 1]),
        }
        rest = &rest[open + close + 1..];
    }
    path.push_str(rest);
    Route { template, path }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_encoded_slashes_included() {
        let r = route("/repos/{owner}/{repo}/commits/{ref}/check-runs", &["o", "r", "feature/x"]);
        assert_eq!(r.path, "/repos/o/r/commits/feature%2Fx/check-runs");
        assert_eq!(r.template, "/repos/{owner}/{repo}/commits/{ref}/check-runs");
        let r = route(
            "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
            &["o", "r", "12", "status:needs review"],
        );
        assert_eq!(r.path, "/repos/o/r/issues/12/labels/status%3Aneeds%20review");
        assert_eq!(route("/x/{a}", &[".."]).path, "/x/%2E%2E");
        assert_eq!(route("/x/{a}", &["é~_-."]).path, "/x/%C3%A9~_-.");
        assert_eq!(route("/rate_limit", &[]).path, "/rate_limit");
        assert_eq!(route("/x/{a}/{b}", &["1"]).path, "/x/1/{b}");
    }
}
