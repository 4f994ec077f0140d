//! The standard's limit on function length, checked on every Rust file of the workspace: no
//! function (test, benchmark and migration included) may run over 80 lines, counted from the
//! line of `fn` to the line of its closing brace. A test rather than a script in CI, so that
//! `cargo test` shows a long function to whoever wrote it, and so that everyone counts the same
//! way: strings, characters and comments are skipped, so that a brace in them is not counted,
//! and a body `{}` on the line of its `fn` is a function of one line.
//!
//! A separate test target because it reads the source, not the service: it needs none of the
//! API tests' helpers and builds in a moment.

use std::path::{Path, PathBuf};

/// The longest a function may be, in lines.
const LIMIT: usize = 80;

/// The folders of the workspace that hold Rust code.
const ROOTS: [&str; 5] = ["src", "entity", "migration", "tests", "benches"];

#[test]
fn no_function_in_the_workspace_runs_over_80_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for folder in ROOTS {
        rust_files(&root.join(folder), &mut files);
    }
    assert!(files.len() > 50, "only {} Rust files found", files.len());
    let mut long = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        for (name, line, length) in functions(&tokens(&source)) {
            if length > LIMIT {
                let shown = file.strip_prefix(root).unwrap_or(file).display();
                long.push(format!("{shown}:{line} {name}: {length} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {LIMIT} lines; split them into named steps:\n{}",
        long.join("\n")
    );
}

#[test]
fn braces_in_strings_comments_and_one_line_bodies_do_not_confuse_the_count() {
    let source = r####"
fn empty() {}
fn tricky() -> char {
    let _ = "}}}\"{";
    let _ = r#"{"#;
    // }
    /* { /* nested } */ */
    let _: &'static str = "";
    '{'
}
trait T { fn declared(&self) -> [u8; 2]; }
fn after() {
}
"####;
    let found = functions(&tokens(source));
    assert_eq!(
        found,
        [
            ("empty".to_owned(), 2, 1),
            ("tricky".to_owned(), 3, 8),
            ("after".to_owned(), 12, 2)
        ]
    );
}

/// Every `.rs` file under `dir`, outside `node_modules` and `target`.
fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap_or_default();
        if path.is_dir() && name != "node_modules" && name != "target" {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

/// What the count needs of the code: words, and the punctuation that opens and closes.
#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Mark(char),
}

/// The words and marks of `source` with their line numbers; strings, characters, lifetimes and
/// comments are left out.
fn tokens(source: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = source.chars().collect();
    let (mut out, mut line, mut i) = (Vec::new(), 1, 0);
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        i = match c {
            '/' if chars.get(i + 1) == Some(&'/') => skip_until(&chars, i, '\n'),
            '/' if chars.get(i + 1) == Some(&'*') => skip_block_comment(&chars, i),
            '"' => skip_string(&chars, i + 1),
            '\'' => skip_quote(&chars, i),
            'r' | 'b' | 'c' if raw_string_hashes(&chars, i).is_some() => skip_raw_string(&chars, i),
            c if c.is_alphanumeric() || c == '_' => {
                let end = (i..chars.len())
                    .find(|&j| !(chars[j].is_alphanumeric() || chars[j] == '_'))
                    .unwrap_or(chars.len());
                out.push((Token::Word(chars[i..end].iter().collect()), line));
                end
            }
            c => {
                if !c.is_whitespace() {
                    out.push((Token::Mark(c), line));
                }
                i + 1
            }
        };
        line += chars[start..i].iter().filter(|&&c| c == '\n').count();
    }
    out
}

fn skip_until(chars: &[char], from: usize, end: char) -> usize {
    (from..chars.len())
        .find(|&j| chars[j] == end)
        .unwrap_or(chars.len())
}

/// Past the end of a block comment starting at `from`; they nest.
fn skip_block_comment(chars: &[char], from: usize) -> usize {
    let (mut depth, mut i) = (0, from);
    while i + 1 < chars.len() {
        match (chars[i], chars[i + 1]) {
            ('/', '*') => (depth, i) = (depth + 1, i + 2),
            ('*', '/') => {
                (depth, i) = (depth - 1, i + 2);
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    chars.len()
}

/// Past the closing quote of a string whose text starts at `from`, escapes skipped.
fn skip_string(chars: &[char], from: usize) -> usize {
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// Past a character literal (`'{'`, `'\''`, `'\u{7b}'`), or past the quote of a lifetime.
fn skip_quote(chars: &[char], from: usize) -> usize {
    match chars.get(from + 1) {
        Some('\\') => skip_until(chars, from + 3, '\'') + 1,
        Some(_) if chars.get(from + 2) == Some(&'\'') => from + 3,
        _ => from + 1,
    }
}

/// How many `#` a raw string starting at `from` (`r"`, `r#"`, `br"`, `cr#"`) has, if it is one.
fn raw_string_hashes(chars: &[char], from: usize) -> Option<usize> {
    if from > 0 && (chars[from - 1].is_alphanumeric() || chars[from - 1] == '_') {
        return None;
    }
    let mut i = from;
    if matches!(chars[i], 'b' | 'c') {
        i += 1;
    }
    if chars.get(i) != Some(&'r') {
        return None;
    }
    let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
    (chars.get(i + 1 + hashes) == Some(&'"')).then_some(hashes)
}

fn skip_raw_string(chars: &[char], from: usize) -> usize {
    let hashes = raw_string_hashes(chars, from).unwrap();
    let text = from + chars[from..].iter().position(|&c| c == '"').unwrap() + 1;
    (text..chars.len())
        .find(|&j| {
            chars[j] == '"' && chars[j + 1..].iter().take_while(|&&c| c == '#').count() >= hashes
        })
        .map_or(chars.len(), |j| j + 1 + hashes)
}

/// Each function with a body: its name, the line of its `fn` and its length in lines.
fn functions(tokens: &[(Token, usize)]) -> Vec<(String, usize, usize)> {
    let mut found = Vec::new();
    for (at, (token, line)) in tokens.iter().enumerate() {
        let Some((Token::Word(name), _)) = tokens.get(at + 1) else {
            continue;
        };
        if *token != Token::Word("fn".to_owned()) {
            continue;
        }
        if let Some(end) = body_end(&tokens[at + 2..]) {
            found.push((name.clone(), *line, end - line + 1));
        }
    }
    found
}

/// The line of the brace that closes the body after a signature, or `None` for a declaration
/// (a `;` outside brackets and parentheses before any brace).
fn body_end(tokens: &[(Token, usize)]) -> Option<usize> {
    let mut nesting = 0i32;
    let mut depth = 0;
    for (token, line) in tokens {
        match token {
            Token::Mark('(' | '[') => nesting += 1,
            Token::Mark(')' | ']') => nesting -= 1,
            Token::Mark(';') if depth == 0 && nesting == 0 => return None,
            Token::Mark('{') => depth += 1,
            Token::Mark('}') => {
                depth -= 1;
                if depth == 0 {
                    return Some(*line);
                }
            }
            _ => {}
        }
    }
    None
}
