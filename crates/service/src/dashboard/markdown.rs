//! The summary comment's Markdown as HTML, safely: every character of the source is escaped
//! first, then the few constructs plasma-ops' summaries use are turned into tags — headings,
//! list items, paragraphs, `code`, **bold** and links to http(s) addresses. No HTML from the
//! source ever reaches the page (a `<script>` in a title quoted by the summary stays text).

/// Escapes `s` for HTML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Renders `md` as HTML.
pub fn to_html(md: &str) -> String {
    let mut out = String::new();
    let mut in_list = false;
    let mut para: Vec<String> = Vec::new();
    let flush = |para: &mut Vec<String>, out: &mut String| {
        if !para.is_empty() {
            out.push_str("<p>");
            out.push_str(&para.join("<br>"));
            out.push_str("</p>\n");
            para.clear();
        }
    };
    for line in md.lines() {
        let t = line.trim();
        let item = t.strip_prefix("- ").or_else(|| t.strip_prefix("* "));
        if item.is_none() && in_list {
            out.push_str("</ul>\n");
            in_list = false;
        }
        if t.is_empty() {
            flush(&mut para, &mut out);
        } else if let Some(rest) = heading(t) {
            flush(&mut para, &mut out);
            let (level, text) = rest;
            out.push_str(&format!("<h{level}>{}</h{level}>\n", inline(text)));
        } else if let Some(text) = item {
            flush(&mut para, &mut out);
            if !in_list {
                out.push_str("<ul>\n");
                in_list = true;
            }
            out.push_str(&format!("<li>{}</li>\n", inline(text)));
        } else if t.starts_with("<!--") && t.ends_with("-->") {
            // The sticky comment's hidden marker: not for readers.
        } else {
            para.push(inline(t));
        }
    }
    if in_list {
        out.push_str("</ul>\n");
    }
    flush(&mut para, &mut out);
    out
}

/// `(level, text)` of a `#` heading; levels below 3 are shown as 3 (the page owns h1, h2).
fn heading(t: &str) -> Option<(usize, &str)> {
    let hashes = t.chars().take_while(|c| *c == '#').count();
    let text = t.get(hashes..)?.strip_prefix(' ')?;
    (1..=6).contains(&hashes).then_some((hashes.clamp(3, 6), text))
}

/// Inline constructs over escaped text: `code`, **bold**, [text](http...).
fn inline(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`')
            && let Some(end) = after.find('`')
        {
            out.push_str(&format!("<code>{}</code>", escape(&after[..end])));
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix("**")
            && let Some(end) = after.find("**")
        {
            out.push_str(&format!("<strong>{}</strong>", inline(&after[..end])));
            rest = &after[end + 2..];
        } else if let Some((html, used)) = link(rest) {
            out.push_str(&html);
            rest = &rest[used..];
        } else {
            let next = rest
                .char_indices()
                .skip(1)
                .find(|(_, c)| matches!(c, '`' | '*' | '['))
                .map_or(rest.len(), |(i, _)| i);
            out.push_str(&escape(&rest[..next]));
            rest = &rest[next..];
        }
    }
    out
}

/// `[text](https://...)` at the start of `s`: the HTML and the bytes used. Other schemes
/// (`javascript:`, `data:`) are not links.
fn link(s: &str) -> Option<(String, usize)> {
    let after = s.strip_prefix('[')?;
    let close = after.find("](")?;
    let text = &after[..close];
    let target_start = close + 2;
    let target_len = after[target_start..].find(')')?;
    let url = &after[target_start..target_start + target_len];
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.contains(char::is_whitespace)
    {
        return None;
    }
    let html =
        format!("<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>", escape(url), inline(text));
    Some((html, 1 + target_start + target_len + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_summary_constructs() {
        let md = "<!-- plasma-ops:summary -->\n## plasma-ops\n\n**2 blockers** in `main`\n- fix [the title](https://example.com/x?a=1&b=2)\n* second\n\nlast\nline";
        insta::assert_snapshot!(to_html(md));
    }

    #[test]
    fn nothing_of_the_source_becomes_markup() {
        let cases = [
            ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"),
            ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"),
            ("`<b>`", "<p><code>&lt;b&gt;</code></p>\n"),
            (
                "[a\"](https://e.com/\"onmouseover=\"x)",
                "<p><a href=\"https://e.com/&quot;onmouseover=&quot;x\" rel=\"noopener noreferrer\">a&quot;</a></p>\n",
            ),
            ("**unclosed", "<p>**unclosed</p>\n"),
            ("# <img src=x>", "<h3>&lt;img src=x&gt;</h3>\n"),
        ];
        for (md, html) in cases {
            assert_eq!(to_html(md), html, "{md}");
        }
    }

    proptest::proptest! {
        #[test]
        fn no_tag_survives_from_arbitrary_input(s in ".{0,200}") {
            let html = to_html(&s);
            for tag in ["<script", "<img", "<iframe", "<svg", "<div", "<a href=\"javascript"] {
                proptest::prop_assert!(!html.contains(tag), "{}", html);
            }
        }
    }
}
