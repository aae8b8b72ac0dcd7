//! The report as Markdown, for a Slack message or a GitHub Discussion: tables of this week
//! against the week before, the oldest waiting pull requests, and the DORA definitions at the
//! end. Repository-controlled text (titles, blockers, column and tag names) is escaped so it can
//! neither break a table nor mention anyone.

use std::fmt::Write;

use crate::fmt::{self as f};
use crate::model::{Count, DoraFigure, Durations, Report};

/// The report as Markdown.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Weekly report {} · {}", r.week, esc(&r.scope.to_string()));
    let _ = writeln!(s, "_{} to {} ({})_\n", r.from, r.to, esc(&r.time_zone));

    s.push_str("### DORA four keys\n\n| key | this week | band | last week | change |\n|---|---|---|---|---|\n");
    for (name, d) in [
        ("Deployment frequency", &r.dora.deployment_frequency),
        ("Lead time for changes", &r.dora.lead_time),
        ("Change failure rate", &r.dora.change_failure_rate),
        ("Time to restore", &r.dora.time_to_restore),
    ] {
        dora_row(&mut s, name, d);
    }
    let no_data: Vec<_> = [
        ("Deployment frequency", &r.dora.deployment_frequency),
        ("Lead time for changes", &r.dora.lead_time),
        ("Change failure rate", &r.dora.change_failure_rate),
        ("Time to restore", &r.dora.time_to_restore),
    ]
    .into_iter()
    .filter_map(|(n, d)| d.no_data.as_ref().map(|why| (n, why)))
    .collect();
    if !no_data.is_empty() {
        s.push('\n');
        for (n, why) in no_data {
            let _ = writeln!(s, "- {n}: no data, {}", esc(why));
        }
    }

    let p = &r.pull_requests;
    s.push_str(
        "\n### Pull requests\n\n| figure | this week | last week | change |\n|---|---|---|---|\n",
    );
    count_row(&mut s, "Opened", &p.opened);
    count_row(&mut s, "Merged", &p.merged);
    count_row(&mut s, "Closed unmerged", &p.closed_unmerged);
    durations_row(&mut s, "Time to first human review (median / p90)", &p.time_to_first_review);
    durations_row(
        &mut s,
        "Time to CodeRabbit approval (median / p90)",
        &p.time_to_coderabbit_approval,
    );
    for a in &p.needs_cursor_fix {
        let label = format!("In `status:needs-cursor-fix`, {} (median / p90)", esc(&a.agent));
        durations_row(&mut s, &label, &a.durations);
    }
    if !p.oldest_waiting.is_empty() {
        s.push_str("\nOldest waiting:\n");
        for w in &p.oldest_waiting {
            let _ = writeln!(
                s,
                "- {}#{} {}: {} waiting, {}",
                esc(&w.repo),
                w.number,
                esc(&w.title),
                f::hours(Some(w.waiting_hours)),
                esc(&w.blocker)
            );
        }
    }

    if let Some(b) = &r.board {
        s.push_str("\n### Board\n\n");
        let cols: Vec<String> =
            b.columns.iter().map(|c| format!("{} {}", esc(&c.column), c.items)).collect();
        let _ = writeln!(
            s,
            "At the week's end: {}. Moved this week: {} ({} against last week).",
            if cols.is_empty() { "no item seen".to_string() } else { cols.join(", ") },
            b.moved.value,
            f::count_delta(&b.moved)
        );
    }

    let i = &r.incidents;
    s.push_str(
        "\n### Incidents\n\n| figure | this week | last week | change |\n|---|---|---|---|\n",
    );
    count_row(&mut s, "Opened", &i.opened);
    count_row(&mut s, "Resolved", &i.resolved);
    durations_row(&mut s, "Time to acknowledge (median / p90)", &i.time_to_acknowledge);
    durations_row(&mut s, "Time to restore (median / p90)", &i.time_to_restore);
    count_row(&mut s, "Resolved without a postmortem", &i.postmortems_missing);

    let rel = &r.releases;
    s.push_str("\n### Releases and deployments\n\n| figure | this week | last week | change |\n|---|---|---|---|\n");
    count_row(&mut s, "Tags cut", &rel.tags);
    count_row(&mut s, "Deployments (every environment)", &rel.deployments);
    count_row(&mut s, "Successful production deployments", &rel.production_succeeded);
    count_row(&mut s, "Failed production deployments", &rel.production_failed);
    if !rel.tag_names.is_empty() {
        let names: Vec<String> = rel.tag_names.iter().map(|t| format!("`{}`", tick(t))).collect();
        let _ = writeln!(s, "\nTags: {}", names.join(", "));
    }

    s.push_str("\n<details><summary>How the DORA figures are computed</summary>\n\n");
    for (name, d) in [
        ("Deployment frequency", &r.dora.deployment_frequency),
        ("Lead time for changes", &r.dora.lead_time),
        ("Change failure rate", &r.dora.change_failure_rate),
        ("Time to restore", &r.dora.time_to_restore),
    ] {
        let _ = writeln!(s, "- **{name}**: {}", d.definition);
    }
    s.push_str("\n</details>\n");
    s
}

fn dora_row(s: &mut String, name: &str, d: &DoraFigure) {
    let before = match d.previous {
        None => "-".to_string(),
        Some(v) => f::dora_value(&DoraFigure { value: Some(v), share_of_days: None, ..d.clone() }),
    };
    let basis = d.basis.as_deref().map(|b| format!("<br>{}", esc(b))).unwrap_or_default();
    let _ = writeln!(
        s,
        "| {name} | {}{basis} | {} | {before} | {} |",
        f::dora_value(d),
        f::band(d),
        f::dora_delta(d)
    );
}

fn count_row(s: &mut String, name: &str, c: &Count) {
    let _ = writeln!(s, "| {name} | {} | {} | {} |", c.value, c.previous, f::count_delta(c));
}

fn durations_row(s: &mut String, name: &str, d: &Durations) {
    let _ = writeln!(
        s,
        "| {name} | {} | {} | {} |",
        f::spread(d),
        f::spread_before(d),
        f::delta_hours(d.delta_median_hours)
    );
}

/// Escapes text for a table cell: no pipe, no line break, no HTML, no mention or channel ping.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().take(200) {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("@\u{200b}"),
            '`' | '*' | '_' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a code span: no backtick, no line break.
fn tick(text: &str) -> String {
    text.chars().take(100).map(|c| if c == '`' || c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_tables_and_people_safe() {
        assert_eq!(
            esc("a|b\nc <!channel> @team *x*"),
            "a\\|b c &lt;!channel&gt; @\u{200b}team \\*x\\*"
        );
        assert_eq!(tick("v1`2"), "v1 2");
    }
}
