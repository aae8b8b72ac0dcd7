#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The readers against reports in the shapes real tools write, merging, path mapping, and
//! malformed input.

use std::path::Path;

use plasma_coverage::{
    Coverage, Format, LineHits, PathMapper, ReportError, read_file, read_report,
};
use proptest::prelude::*;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn read(name: &str, root: &str) -> (Format, Coverage) {
    read_file(&fixture(name), &PathMapper::new(Some(Path::new(root)), &[])).unwrap()
}

fn parse_err(text: &str) -> String {
    match read_report("r.lcov", text.as_bytes(), &PathMapper::default()) {
        Err(e) => e.to_string(),
        Ok(c) => panic!("expected an error for {text:?}, got {c:?}"),
    }
}

#[test]
fn cargo_llvm_cov_lcov() {
    let (format, cov) = read("llvm-cov.lcov", "/home/ci/plasma-ops");
    assert_eq!(format, Format::Lcov);
    assert_eq!(
        cov.files["crates/x/src/lib.rs"],
        LineHits::from([(3, 4), (4, 4), (5, 4), (9, 0), (10, 0)])
    );
    // Dependencies stay absolute, so they are visibly not repository files.
    assert!(cov.files.keys().any(|k| k.starts_with("/home/ci/.cargo/registry/")));
}

#[test]
fn tarpaulin_and_c8_and_lcov2_dialects() {
    let (_, t) = read("tarpaulin.lcov", "/home/ci/plasma-ops");
    assert_eq!(t.files["crates/x/src/lib.rs"].len(), 6);
    let (_, c8) = read("c8.lcov", "/anywhere");
    assert_eq!(c8.files["src/app.ts"], LineHits::from([(1, 3), (2, 3), (3, 3), (7, 0), (8, 0)]));
    // lcov 2.x: VER, FNL/FNA records and a DA checksum.
    let (_, l2) = read("lcov2.info", "/anywhere");
    assert_eq!(l2.files["lib/util.py"], LineHits::from([(1, 1), (2, 2), (4, 0)]));
}

#[test]
fn coverage_py_cobertura_with_source_roots() {
    let (format, cov) = read("coveragepy.xml", "/home/u/proj");
    assert_eq!(format, Format::Cobertura);
    let keys: Vec<&str> = cov.files.keys().map(String::as_str).collect();
    assert_eq!(keys, ["src/pkg/__init__.py", "src/pkg/mod.py"]);
    assert_eq!(cov.files["src/pkg/mod.py"], LineHits::from([(1, 1), (2, 1), (5, 1), (6, 0)]));
}

#[test]
fn tarpaulin_cobertura_counts_method_lines_once() {
    let (_, cov) = read("tarpaulin.xml", "/home/ci/plasma-ops");
    // Line 3 is 1 from the class's own <lines>; the 7 under <methods> is the same line again.
    assert_eq!(cov.files["crates/x/src/lib.rs"], LineHits::from([(3, 1), (4, 1), (9, 1), (12, 0)]));
}

#[test]
fn reports_of_one_file_merge_across_formats() {
    let mapper = PathMapper::new(Some(Path::new("/home/ci/plasma-ops")), &[]);
    let files = [fixture("llvm-cov.lcov"), fixture("tarpaulin.lcov"), fixture("tarpaulin.xml")];
    let cov = plasma_coverage::read_files(&files, &mapper).unwrap();
    assert_eq!(
        cov.files["crates/x/src/lib.rs"],
        LineHits::from([(3, 6), (4, 6), (5, 5), (9, 3), (10, 0), (11, 0), (12, 0)])
    );
}

#[test]
fn strip_prefixes_map_foreign_build_paths() {
    let lcov = "SF:/runner/work/p/p/src/a.rs\nDA:1,1\nend_of_record\n";
    let m = PathMapper::new(Some(Path::new("/local/p")), &["/runner/work/p/p".into()]);
    let (_, cov) = read_report("r.lcov", lcov.as_bytes(), &m).unwrap();
    assert!(cov.files.contains_key("src/a.rs"));
}

#[test]
fn malformed_lcov_names_the_line_and_the_text() {
    let cases = [
        ("SF:a.rs\nDA:x\n", "r.lcov:2: DA record needs \"line,hits\", got \"DA:x\""),
        ("SF:a.rs\nDA:0,1\n", "r.lcov:2: DA record needs \"line,hits\", got \"DA:0,1\""),
        ("SF:a.rs\nDA:3,-1\n", "r.lcov:2: DA record needs \"line,hits\", got \"DA:3,-1\""),
        ("SF:a.rs\nDA:3,1,c,extra\n", "r.lcov:2: DA record needs"),
        ("TN:\nDA:1,1\n", "r.lcov:2: \"DA:1,1\" comes before any SF record"),
        (
            "SF:a\nDA:1,1\nend_of_record\nDA:2,1\n",
            "r.lcov:4: \"DA:2,1\" comes before any SF record",
        ),
        ("SF:\n", "r.lcov:1: SF record needs a file path"),
        ("SF:a\n\n\ngarbage here\n", "r.lcov:4: not an LCOV record"),
        ("SF:a\nLF:many\n", "r.lcov:2: LF record needs a number, got \"LF:many\""),
        ("SF:a\nBRDA:1,0,0\n", "r.lcov:2: BRDA record needs"),
        ("SF:a\nFN:main\n", "r.lcov:2: FN record needs \"line,name\""),
    ];
    for (input, want) in cases {
        let e = parse_err(input);
        assert!(e.starts_with(want), "{input:?}\n got: {e}\nwant: {want}");
    }
}

#[test]
fn malformed_cobertura_names_the_line() {
    let head = "<?xml version=\"1.0\"?>\n<coverage>\n<packages><package><classes>\n";
    let cases = [
        (
            format!("{head}<class filename=\"a.py\"><lines>\n<line number=\"x\" hits=\"1\"/>\n"),
            "c.xml:5: <line> needs number",
        ),
        (format!("{head}<class name=\"a\">\n"), "c.xml:4: <class> needs a filename"),
        (
            format!(
                "{head}<class filename=\"a.py\"><lines>\n<line number=\"1\" hits=\"1\"/></lines></class>\n"
            ),
            "c.xml:6: the document ends inside an open element",
        ),
        (format!("{head}<class filename=\"a.py\"></lines>"), "c.xml:4: not well-formed XML"),
        (
            "<?xml version=\"1.0\"?>\n<report/>".to_string(),
            "c.xml: XML, but not a Cobertura report: the root element is <report>",
        ),
    ];
    for (input, want) in cases {
        let e =
            read_report("c.xml", input.as_bytes(), &PathMapper::default()).unwrap_err().to_string();
        assert!(e.starts_with(want), "{input:?}\n got: {e}\nwant: {want}");
    }
}

#[test]
fn an_endless_line_or_token_is_refused_without_buffering_it() {
    let long = format!("SF:{}\n", "a".repeat(plasma_coverage::MAX_TOKEN + 10));
    assert!(parse_err(&long).contains("r.lcov:1: line longer than"));
    let xml = format!(
        "<coverage><source>{}</source></coverage>",
        "a".repeat(plasma_coverage::MAX_TOKEN + 10)
    );
    let e = read_report("c.xml", xml.as_bytes(), &PathMapper::default()).unwrap_err();
    assert!(matches!(e, ReportError::Parse { line: 1, .. }), "{e}");
    assert!(e.to_string().contains("longer than"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn lcov_never_panics(lines in proptest::collection::vec(
        prop_oneof![
            Just("SF:a.rs".to_string()), Just("end_of_record".to_string()),
            "(DA|BRDA|FN|LF|TN|FNDA):[0-9a-z,\\-]{0,12}", "\\PC{0,20}",
        ], 0..20)) {
        let text = lines.join("\n");
        let _ = read_report("p.lcov", text.as_bytes(), &PathMapper::default());
    }

    #[test]
    fn cobertura_never_panics(parts in proptest::collection::vec(
        prop_oneof![
            Just("<coverage>"), Just("</coverage>"), Just("<class filename=\"a\">"), Just("</class>"),
            Just("<lines>"), Just("<line number=\"1\" hits=\"2\"/>"), Just("<line number=\"-\"/>"),
            Just("<methods>"), Just("</methods>"), Just("<source>"), Just("</source>"), Just("&amp;"),
            Just("&bogus;"), Just("<![CDATA[x]]>"), Just("<"), Just("\""), Just("\n"), Just("<!--"),
        ], 0..30), tail in "\\PC{0,10}") {
        let text = format!("{}{tail}", parts.concat());
        let _ = read_report("p.xml", text.as_bytes(), &PathMapper::default());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = read_report("p", &bytes[..], &PathMapper::default());
        let mut xml = b"<coverage>".to_vec();
        xml.extend_from_slice(&bytes);
        let _ = read_report("p.xml", &xml[..], &PathMapper::default());
    }

    /// Whatever order the records come in, parsing then merging gives the same hits.
    #[test]
    fn split_reports_merge_to_the_whole(records in proptest::collection::vec((1u32..50, 0u64..5), 1..40), cut in 0usize..40) {
        let cut = cut.min(records.len());
        let render = |rs: &[(u32, u64)]| {
            let mut s = String::from("SF:a.rs\n");
            for (l, h) in rs { s.push_str(&format!("DA:{l},{h}\n")); }
            s.push_str("end_of_record\n");
            s
        };
        let m = PathMapper::default();
        let (_, whole) = read_report("w", render(&records).as_bytes(), &m).unwrap();
        let (_, mut a) = read_report("a", render(&records[..cut]).as_bytes(), &m).unwrap();
        let (_, b) = read_report("b", render(&records[cut..]).as_bytes(), &m).unwrap();
        a.merge(b);
        prop_assert_eq!(a, whole);
    }
}
