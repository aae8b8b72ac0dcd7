//! Cobertura XML, one event at a time with quick-xml's streaming reader (never a DOM or serde over
//! the whole document). What counts: `<sources><source>` (roots for relative file names) and each
//! `<class filename=…>`'s own `<lines><line number= hits=>`; the copies of those lines under
//! `<methods>` are skipped so they are not counted twice.

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

use crate::bounded::Counting;
use crate::{LineHits, MAX_TOKEN, RawReport, ReportError, quote};

pub(crate) fn parse<R: BufRead>(name: &str, r: R) -> Result<RawReport, ReportError> {
    let mut xml = Reader::from_reader(Counting::new(r, MAX_TOKEN));
    xml.config_mut().trim_text(true);
    let mut report = RawReport::default();
    let mut buf = Vec::with_capacity(1024);
    let mut depth: usize = 0;
    let mut open_root: Option<String> = None;
    // The open class's file and hits, merged into the report at `</class>`.
    let mut class: Option<(String, LineHits)> = None;
    let mut methods_depth: usize = 0;
    let mut source: Option<String> = None;
    loop {
        let event = xml.read_event_into(&mut buf);
        let line = xml.get_ref().line();
        let err = |message: String| ReportError::Parse { file: name.to_string(), line, message };
        let event = match event {
            Ok(e) => e,
            Err(_) if xml.get_ref().overflowed() => {
                return Err(err(format!(
                    "an XML token is longer than {MAX_TOKEN} bytes; this is not a Cobertura report, or it is corrupt"
                )));
            }
            Err(e) => return Err(err(format!("not well-formed XML: {e}"))),
        };
        match event {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let local = e.local_name();
                let local = local.as_ref();
                if open_root.is_none() {
                    if local != "coverage" {
                        return Err(ReportError::Format {
                            file: name.to_string(),
                            message: format!(
                                "XML, but not a Cobertura report: the root element is <{}>, expected <coverage>",
                                local
                            ),
                        });
                    }
                    open_root = Some("coverage".into());
                }
                match local {
                    "source" if !empty => source = Some(String::new()),
                    "class" => {
                        let Some(file) = attr(e, "filename").map_err(&err)? else {
                            return Err(err(
                                "<class> needs a filename attribute naming its source file".into(),
                            ));
                        };
                        if file.is_empty() {
                            return Err(err("<class> has an empty filename attribute".into()));
                        }
                        if empty {
                            report.merge_file(file, LineHits::new());
                        } else {
                            class = Some((file, LineHits::new()));
                        }
                    }
                    "methods" if !empty && class.is_some() => methods_depth += 1,
                    "line" if methods_depth == 0 => {
                        if let Some((_, hits_of_class)) = class.as_mut() {
                            let number = attr(e, "number").map_err(&err)?;
                            let hits = attr(e, "hits").map_err(&err)?;
                            let n = number.as_deref().and_then(|n| n.trim().parse::<u32>().ok());
                            let h = hits.as_deref().and_then(|h| h.trim().parse::<u64>().ok());
                            let (Some(n @ 1..), Some(h)) = (n, h) else {
                                return Err(err(format!(
                                    "<line> needs number (1 or more) and hits (a whole number), got number={} hits={}",
                                    quote(number.as_deref().unwrap_or("")),
                                    quote(hits.as_deref().unwrap_or(""))
                                )));
                            };
                            let slot = hits_of_class.entry(n).or_insert(0);
                            *slot = slot.saturating_add(h);
                        }
                    }
                    _ => {}
                }
                if !empty {
                    depth += 1;
                }
            }
            Event::End(ref e) => {
                depth = depth.saturating_sub(1);
                match e.local_name().as_ref() {
                    "class" => {
                        if let Some((file, hits)) = class.take() {
                            report.merge_file(file, hits);
                        }
                        methods_depth = 0;
                    }
                    "methods" => methods_depth = methods_depth.saturating_sub(1),
                    "source" => {
                        if let Some(s) = source.take() {
                            let s = s.trim();
                            if !s.is_empty() {
                                report.roots.push(s.to_string());
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(ref t) => {
                if let Some(s) = source.as_mut() {
                    s.push_str(&t.xml10_content());
                }
            }
            Event::CData(ref t) => {
                if let Some(s) = source.as_mut() {
                    s.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(ref r) => {
                if let Some(s) = source.as_mut() {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        s.push(c);
                    } else if let Some(text) = resolve_predefined_entity(r) {
                        s.push_str(text);
                    } else {
                        return Err(err(format!("unknown entity &{};", &**r)));
                    }
                }
            }
            _ => {}
        }
        buf.clear();
    }
    if open_root.is_none() {
        return Err(ReportError::Format {
            file: name.to_string(),
            message: "XML without a root element; expected a Cobertura <coverage> document".into(),
        });
    }
    if depth > 0 {
        return Err(ReportError::Parse {
            file: name.to_string(),
            line: xml.get_ref().line(),
            message: "the document ends inside an open element: the report is truncated (did the test run stop while writing it?)".into(),
        });
    }
    Ok(report)
}

/// The value of attribute `key`, entity references resolved.
fn attr(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, String> {
    match e.try_get_attribute(key) {
        Ok(Some(a)) => a
            .normalized_value(XmlVersion::Implicit1_0)
            .map(|v| Some(v.into_owned()))
            .map_err(|err| format!("attribute {key} of <{}>: {err}", e.local_name().as_ref())),
        Ok(None) => Ok(None),
        Err(err) => Err(format!("malformed attributes on <{}>: {err}", e.local_name().as_ref())),
    }
}
