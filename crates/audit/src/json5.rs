//! A small JSON5 reader for Renovate's `.json5` files (and `.renovaterc`, which may be either).
//!
//! Why not the `json5` crate: it is not in the dependency set we measured (ADR-0002) and pulls
//! in `pest`; Renovate files are small, and all we need is a `serde_json::Value` plus an error
//! with line and column. Supported: `//` and `/* */` comments, trailing commas, single-quoted
//! strings, unquoted identifier keys, leading `+`, leading/trailing decimal point, hexadecimal
//! numbers, `Infinity`/`NaN` (read as null, as JSON has no such numbers), line continuations.
//! Nesting is bounded so hostile input cannot overflow the stack.

use serde_json::{Map, Number, Value};

/// Deepest nesting accepted.
const MAX_DEPTH: usize = 128;

/// A parse error at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct Json5Error {
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters).
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

/// Parses JSON5 `text`.
pub fn parse(text: &str) -> Result<Value, Json5Error> {
    let mut p = Parser { chars: text.chars().collect(), pos: 0 };
    p.skip_ws()?;
    let v = p.value(0)?;
    p.skip_ws()?;
    if p.pos < p.chars.len() {
        return Err(p.err("unexpected text after the value"));
    }
    Ok(v)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn err(&self, message: &str) -> Json5Error {
        let before = &self.chars[..self.pos.min(self.chars.len())];
        let line = before.iter().filter(|c| **c == '\n').count() + 1;
        let column = before.iter().rev().take_while(|c| **c != '\n').count() + 1;
        Json5Error {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) -> Result<(), Json5Error> {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() || c == '\u{feff}' => self.pos += 1,
                Some('/') => match self.chars.get(self.pos + 1) {
                    Some('/') => {
                        while self.peek().is_some_and(|c| c != '\n') {
                            self.pos += 1;
                        }
                    }
                    Some('*') => {
                        let start = self.pos;
                        self.pos += 2;
                        loop {
                            match self.peek() {
                                None => {
                                    self.pos = start;
                                    return Err(self.err("comment is never closed with `*/`"));
                                }
                                Some('*') if self.chars.get(self.pos + 1) == Some(&'/') => {
                                    self.pos += 2;
                                    break;
                                }
                                Some(_) => self.pos += 1,
                            }
                        }
                    }
                    _ => return Ok(()),
                },
                _ => return Ok(()),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, Json5Error> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        match self.peek() {
            None => Err(self.err("unexpected end of input, expected a value")),
            Some('{') => self.object(depth),
            Some('[') => self.array(depth),
            Some(q @ ('"' | '\'')) => self.string(q).map(Value::String),
            Some(c) if c.is_ascii_digit() || matches!(c, '-' | '+' | '.') => self.number(),
            Some(c) if c.is_alphabetic() => {
                let word = self.ident();
                match word.as_str() {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    "null" | "Infinity" | "NaN" => Ok(Value::Null),
                    _ => Err(self.err(&format!("unexpected word `{word}`, expected a value"))),
                }
            }
            Some(c) => Err(self.err(&format!("unexpected `{c}`, expected a value"))),
        }
    }

    fn ident(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn object(&mut self, depth: usize) -> Result<Value, Json5Error> {
        self.pos += 1;
        let mut map = Map::new();
        loop {
            self.skip_ws()?;
            match self.peek() {
                Some('}') => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                Some(q @ ('"' | '\'')) => {
                    let k = self.string(q)?;
                    self.member(&mut map, k, depth)?;
                }
                Some(c) if c.is_alphabetic() || c == '_' || c == '$' => {
                    let k = self.ident();
                    self.member(&mut map, k, depth)?;
                }
                _ => return Err(self.err("expected a key or `}`")),
            }
            self.skip_ws()?;
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {}
                _ => return Err(self.err("expected `,` or `}`")),
            }
        }
    }

    fn member(
        &mut self,
        map: &mut Map<String, Value>,
        key: String,
        depth: usize,
    ) -> Result<(), Json5Error> {
        self.skip_ws()?;
        if self.peek() != Some(':') {
            return Err(self.err("expected `:` after the key"));
        }
        self.pos += 1;
        self.skip_ws()?;
        let v = self.value(depth + 1)?;
        map.insert(key, v);
        Ok(())
    }

    fn array(&mut self, depth: usize) -> Result<Value, Json5Error> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws()?;
            if self.peek() == Some(']') {
                self.pos += 1;
                return Ok(Value::Array(items));
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws()?;
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(']') => {}
                _ => return Err(self.err("expected `,` or `]`")),
            }
        }
    }

    fn string(&mut self, quote: char) -> Result<String, Json5Error> {
        let start = self.pos;
        self.pos += 1;
        let mut s = String::new();
        loop {
            let Some(c) = self.peek() else {
                self.pos = start;
                return Err(self.err("string is never closed"));
            };
            self.pos += 1;
            match c {
                c if c == quote => return Ok(s),
                '\n' => {
                    self.pos -= 1;
                    return Err(self.err(
                        "line break inside a string (end the line with `\\` to continue it)",
                    ));
                }
                '\\' => {
                    let Some(e) = self.peek() else { continue };
                    self.pos += 1;
                    match e {
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        'r' => s.push('\r'),
                        'b' => s.push('\u{8}'),
                        'f' => s.push('\u{c}'),
                        'v' => s.push('\u{b}'),
                        '0' => s.push('\0'),
                        '\n' => {}
                        'u' => {
                            let hex: String = self.chars.iter().skip(self.pos).take(4).collect();
                            let code =
                                u32::from_str_radix(&hex, 16).ok().filter(|_| hex.len() == 4);
                            let Some(code) = code else {
                                return Err(self.err("`\\u` needs four hex digits"));
                            };
                            self.pos += 4;
                            s.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        other => s.push(other),
                    }
                }
                c => s.push(c),
            }
        }
    }

    fn number(&mut self) -> Result<Value, Json5Error> {
        let start = self.pos;
        let mut neg = false;
        if let Some(sign @ ('+' | '-')) = self.peek() {
            neg = sign == '-';
            self.pos += 1;
        }
        if self.peek().is_some_and(char::is_alphabetic) {
            let w = self.ident();
            return match w.as_str() {
                "Infinity" | "NaN" => Ok(Value::Null),
                _ => Err(self.err(&format!("unexpected `{w}` in a number"))),
            };
        }
        if self.peek() == Some('0') && matches!(self.chars.get(self.pos + 1), Some('x' | 'X')) {
            self.pos += 2;
            let d = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                self.pos += 1;
            }
            let hex: String = self.chars[d..self.pos].iter().collect();
            let n = i64::from_str_radix(&hex, 16)
                .map_err(|_| self.err("invalid hexadecimal number"))?;
            return Ok(Value::Number(Number::from(if neg { -n } else { n })));
        }
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        {
            self.pos += 1;
        }
        let raw: String = self.chars[start..self.pos].iter().collect();
        let raw = raw.trim_start_matches('+');
        let fixed = raw.replace("-.", "-0.");
        let fixed = if fixed.starts_with('.') { format!("0{fixed}") } else { fixed };
        let fixed = if fixed.ends_with('.') { format!("{fixed}0") } else { fixed };
        let fixed = fixed.replace(".e", ".0e").replace(".E", ".0E");
        serde_json::from_str::<Number>(&fixed).map(Value::Number).map_err(|_| {
            self.pos = start;
            self.err(&format!("`{raw}` is not a number"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn json5_features() {
        let v = parse("// c\n{\n  unquoted: 'single',\n  \"q\": [1, +2, .5, 5., 0x1F, -0x2,],\n  /* block */ t: true, n: null,\n  s: 'a\\\nb',\n}\n").unwrap();
        assert_eq!(
            v,
            json!({"unquoted": "single", "q": [1, 2, 0.5, 5.0, 31, -2], "t": true, "n": null, "s": "ab"})
        );
    }

    #[test]
    fn errors_are_located() {
        for (text, line, column) in [
            ("{\n  a: 1\n  b: 2\n}", 3, 3),
            ("{ a: }", 1, 6),
            ("[1, 2", 1, 6),
            ("{ 'a: 1 }", 1, 3),
            ("/* x", 1, 1),
            ("{} x", 1, 4),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!((e.line, e.column), (line, column), "{text}: {e}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        assert!(parse(&text).unwrap_err().message.contains("deeply"));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            let _ = parse(&s);
        }

        #[test]
        fn plain_json_reads_as_serde_json_does(v in proptest::collection::vec(any::<(String, i32, bool)>(), 0..8)) {
            let value = json!(v);
            let text = serde_json::to_string_pretty(&value).unwrap();
            prop_assert_eq!(parse(&text).unwrap(), value);
        }
    }
}
