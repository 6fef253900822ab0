//! The one rule for user-entered text: trimmed, counted in Unicode scalar
//! values (not bytes), within bounds, and free of control characters.

/// Why a piece of text was refused. The message is written for the client and
/// never echoes the value itself, which may be personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be empty or only whitespace")]
    Blank,
    #[error("must be at least {min} characters after trimming (got {got})")]
    TooShort { min: usize, got: usize },
    #[error("must be at most {max} characters (got {got})")]
    TooLong { max: usize, got: usize },
    #[error("must not contain control characters")]
    ControlCharacter,
    #[error("{0}")]
    Invalid(&'static str),
}

/// One field a request got wrong, named as the client named it. Parsers
/// that check several fields return every problem at once, so a form can
/// show them all; each surface renders them its own way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field as the client named it: `email`, `scores[2].target`.
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Collects the problems of a multi-field parse.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldProblem>);

impl Problems {
    /// Keeps the value, or records why `field` was refused.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: impl Into<String>,
        parsed: Result<T, E>,
    ) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(e) => {
                self.push(field, e.to_string());
                None
            }
        }
    }

    /// Records a problem that no parser reported (a rule across fields).
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldProblem::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value built from the checked fields, or every problem found.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<FieldProblem>> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self.0)
        }
    }
}

/// Whether line breaks and tabs are allowed (free text) or not (single-line names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// Bounds for one kind of text field.
pub(crate) struct Bounds {
    pub min: usize,
    pub max: usize,
    pub lines: Lines,
}

impl Bounds {
    /// Trims `raw` and checks it against these bounds, returning the trimmed text.
    pub fn parse(&self, raw: &str) -> Result<String, TextError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() && self.min > 0 {
            return Err(TextError::Blank);
        }
        let allowed = |c: char| self.lines == Lines::Multi && matches!(c, '\n' | '\r' | '\t');
        if trimmed.chars().any(|c| c.is_control() && !allowed(c)) {
            return Err(TextError::ControlCharacter);
        }
        let got = trimmed.chars().count();
        if got < self.min {
            return Err(TextError::TooShort { min: self.min, got });
        }
        if got > self.max {
            return Err(TextError::TooLong { max: self.max, got });
        }
        Ok(trimmed.to_owned())
    }
}

/// What `str::trim` removes: Unicode White_Space, spelled out so that every
/// regex dialect (ECMA-262, Python, Rust) reads it the same way; `\s`
/// differs between them.
pub const WHITE_SPACE: &str =
    r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// `char::is_control`: the Cc category.
const CONTROL: &str = r"\u0000-\u001f\u007f-\u009f";
/// Cc less tab, line feed and carriage return, which free text may hold.
const CONTROL_BUT_LINE_BREAKS: &str = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f";

/// The JSON Schema `pattern` (ECMA-262, anchored) that accepts exactly what
/// [`Bounds::parse`] accepts: any surrounding white space, then `min` to
/// `max` characters that start and end with something else, with no control
/// characters (free text may break lines and hold tabs).
pub fn schema_pattern(min: usize, max: usize, lines: Lines) -> String {
    let space = format!("[{WHITE_SPACE}]*");
    let edge = format!("[^{WHITE_SPACE}{CONTROL}]");
    let inner = match lines {
        Lines::Single => format!("[^{CONTROL}]"),
        Lines::Multi => format!("[^{CONTROL_BUT_LINE_BREAKS}]"),
    };
    // The trimmed text: empty, one edge character, or two around the rest.
    let mut forms = Vec::new();
    if min == 0 {
        forms.push(String::new());
    }
    if min <= 1 && max >= 1 {
        forms.push(edge.clone());
    }
    if max >= 2 {
        let low = min.saturating_sub(2);
        forms.push(format!("{edge}{inner}{{{low},{}}}{edge}", max - 2));
    }
    format!("^{space}(?:{}){space}$", forms.join("|"))
}

/// Declares a validated text newtype: private field, one fallible
/// constructor, serde through that constructor so stored data is re-checked.
/// With `redacted`, `{:?}` never shows the value (personal data).
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr, $lines:expr) => {
        $crate::domain::text::bounded_text!(@define $(#[$doc])* $name, $min, $max, $lines);
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }
    };
    ($(#[$doc:meta])* redacted $name:ident, $min:expr, $max:expr, $lines:expr) => {
        $crate::domain::text::bounded_text!(@define $(#[$doc])* $name, $min, $max, $lines);
        $crate::domain::text::redacted_debug!($name);
    };
    (@define $(#[$doc:meta])* $name:ident, $min:expr, $max:expr, $lines:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MIN: usize = $min;
            pub const MAX: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, $crate::domain::TextError> {
                const BOUNDS: $crate::domain::text::Bounds = $crate::domain::text::Bounds {
                    min: $min,
                    max: $max,
                    lines: $lines,
                };
                BOUNDS.parse(raw).map(Self)
            }
        }

        $crate::domain::text::text_conversions!($name);
    };
}

/// `as_str`, `TryFrom<String>` through `parse`, `From<T> for String` and
/// `AsRef<str>` for a text newtype.
macro_rules! text_conversions {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::TextError;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// A `Debug` that shows the type but never the value.
macro_rules! redacted_debug {
    ($name:ident) => {
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}(<redacted>)", stringify!($name))
            }
        }
    };
}
pub(crate) use bounded_text;
pub(crate) use {redacted_debug, text_conversions};

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: Bounds = Bounds {
        min: 3,
        max: 5,
        lines: Lines::Single,
    };
    const NOTES: Bounds = Bounds {
        min: 0,
        max: 5,
        lines: Lines::Multi,
    };

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        // Five characters, far more than five bytes.
        assert_eq!(NAME.parse("ééééé").unwrap(), "ééééé");
        assert_eq!(NAME.parse("日本語テス").unwrap(), "日本語テス");
        assert_eq!(NAME.parse("🚀🚀🚀").unwrap(), "🚀🚀🚀");
        assert_eq!(
            NAME.parse("🚀🚀🚀🚀🚀🚀"),
            Err(TextError::TooLong { max: 5, got: 6 })
        );
    }

    #[test]
    fn surrounding_whitespace_is_trimmed_before_counting() {
        assert_eq!(NAME.parse("   abc   ").unwrap(), "abc");
        assert_eq!(
            NAME.parse("  ab  "),
            Err(TextError::TooShort { min: 3, got: 2 })
        );
    }

    #[test]
    fn whitespace_only_is_blank() {
        assert_eq!(NAME.parse(" \t \u{3000} "), Err(TextError::Blank));
        assert_eq!(NAME.parse(""), Err(TextError::Blank));
    }

    #[test]
    fn control_characters_are_refused_in_names() {
        assert_eq!(NAME.parse("ab\u{0}c"), Err(TextError::ControlCharacter));
        assert_eq!(NAME.parse("ab\nc"), Err(TextError::ControlCharacter));
        assert_eq!(NAME.parse("ab\u{7f}c"), Err(TextError::ControlCharacter));
    }

    #[test]
    fn free_text_allows_line_breaks_but_not_other_controls() {
        assert_eq!(NOTES.parse("a\nb\tc").unwrap(), "a\nb\tc");
        assert_eq!(NOTES.parse("a\u{0}b"), Err(TextError::ControlCharacter));
        assert_eq!(NOTES.parse("a\u{1b}b"), Err(TextError::ControlCharacter));
    }

    #[test]
    fn the_schema_pattern_spells_out_the_trimmed_bounds() {
        let name = schema_pattern(3, 50, Lines::Single);
        assert!(name.starts_with("^[\\t-\\r "), "{name}");
        assert!(name.contains("]{1,48}["), "{name}");
        assert!(!name.contains('|'), "a name cannot be empty: {name}");

        let optional = schema_pattern(0, 280, Lines::Multi);
        assert!(optional.contains("(?:|["), "may be empty: {optional}");
        assert!(
            optional.contains("\\u000e-"),
            "keeps line breaks: {optional}"
        );

        let short = schema_pattern(1, 1, Lines::Single);
        assert!(
            !short.contains('{'),
            "one character, no repetition: {short}"
        );
    }

    #[test]
    fn bounds_are_inclusive() {
        assert!(NAME.parse("abc").is_ok());
        assert!(NAME.parse("abcde").is_ok());
        assert_eq!(
            NAME.parse("abcdef"),
            Err(TextError::TooLong { max: 5, got: 6 })
        );
    }
}
