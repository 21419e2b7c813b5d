//! The option table as pidone holds it: [`ROWS`] packed, when compiling,
//! into rows with no pointer in them; and the look-ups by name.
//!
//! Why packed: pidone is a static-pie binary, so every pointer stored in
//! its data is a relative relocation that musl's start-up code
//! (`_start_c`) applies before `main`, at about 6.5 instructions per word
//! of the relocated region, pointer or not. As rows of `&'static str` the
//! table was some 224 words of `.data.rel.ro` holding 79 pointers, paid
//! for on every start though it is read only when an option or variable
//! is given. Packed, every string is a [`Span`] (offset and length) of one
//! text, and a row's variables are a range of one array of spans: plain
//! numbers in `.rodata`, nothing to relocate. Measured with callgrind on
//! the release musl build, `_start_c` went from 8,810 to 7,375
//! instructions and all of `pidone -- true` from 23,227 to 22,491.
//!
//! Built by const fns, so a table that cannot be packed (a text over
//! 64 KiB, over 255 variables) fails the build, never a run. At run time
//! a span reads its text with `get`, never by indexing: a wrong span could
//! only read as empty, never panic.

use std::fmt;

use super::options::{Kind, Row, ROWS};

/// How many options there are.
const COUNT: usize = ROWS.len();

/// Every option, in the order `--help` lists them.
// A static, not a const: a const's data is emitted wherever it is used,
// and every crate that inlines a reader would hold another copy.
pub static OPTIONS: [Opt; COUNT] = PACKED.opts;

/// For each row of [`OPTIONS`], the first row with the same variables:
/// the setting it belongs to (`-q` belongs to `-v`'s). Worked out when
/// compiling, so parsing compares no variable names to tell settings apart.
pub const SETTING: [usize; COUNT] = settings();

// Settings are tracked as bits of a u64 (see `parse::Decided`).
const _: () = assert!(COUNT <= 64);

/// The option called `--LONG`, with its row number.
pub fn by_long(long: &str) -> Option<(usize, &'static Opt)> {
    OPTIONS.iter().enumerate().find(|(_, o)| o.long() == long)
}

/// The row of the option called `--LONG`, for a const: a name that is no
/// option's fails the build.
#[allow(clippy::indexing_slicing)]
pub const fn row_of(long: &str) -> usize {
    let mut row = 0;
    while row < COUNT {
        if same_str(ROWS[row].long, long) {
            return row;
        }
        row += 1;
    }
    // Const evaluation: this can only fail the build.
    #[allow(clippy::panic)]
    {
        panic!("no option has that long name");
    }
}

/// The option called `-LETTER`, with its row number.
pub fn by_short(letter: u8) -> Option<(usize, &'static Opt)> {
    let letter = Some(char::from(letter));
    OPTIONS.iter().enumerate().find(|(_, o)| o.short == letter)
}

/// One option, as `options::Row` declares it, with its strings as spans of the
/// table's text.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Opt {
    /// See [`Opt::long`].
    long: Span,
    /// The short letter, if any: `-s`.
    pub short: Option<char>,
    /// What its value is.
    pub kind: Kind,
    /// May be given more than once, adding up (`-e 1 -e 2`, `-vv`).
    pub repeatable: bool,
    /// Its variables: (first, count) in [`VARS`]. Options sharing a setting
    /// share one range.
    vars: (u8, u8),
    /// See [`Opt::example`].
    example: Span,
    /// See [`Opt::help`].
    help: Span,
}

impl Opt {
    /// The long name, without `--`: `subreaper`. Also the option's identity
    /// in `store::store` and in messages (`option '--grace' needs a value`).
    pub fn long(&self) -> &'static str {
        self.long.text()
    }

    /// The variables that set it when no flag does, in precedence order:
    /// `PIDONE_*` first, then tini's where tini has one.
    pub fn env(&self) -> Vars {
        let (first, count) = (usize::from(self.vars.0), usize::from(self.vars.1));
        Vars(VARS.get(first..first + count).unwrap_or_default().iter())
    }

    /// An example value `--help` shows for the first variable (`143,130`);
    /// empty for none.
    pub fn example(&self) -> &'static str {
        self.example.text()
    }

    /// The help text, pre-wrapped: lines separated by `\n`, each at most 50
    /// columns (the help's right column).
    pub fn help(&self) -> &'static str {
        self.help.text()
    }
}

impl fmt::Debug for Opt {
    /// As the row reads in the source, strings and all.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opt")
            .field("long", &self.long())
            .field("short", &self.short)
            .field("kind", &self.kind)
            .field("repeatable", &self.repeatable)
            .field("env", &self.env())
            .field("example", &self.example())
            .field("help", &self.help())
            .finish()
    }
}

/// An option's variables, in precedence order.
#[derive(Clone)]
pub struct Vars(std::slice::Iter<'static, Span>);

impl Iterator for Vars {
    type Item = &'static str;

    fn next(&mut self) -> Option<&'static str> {
        self.0.next().map(|span| span.text())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for Vars {}

impl fmt::Debug for Vars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// A string of the table: its offset in [`TEXT`] in the low 16 bits, its
/// length in the high 16.
// One u32, not two u16s: each reader then loads one word instead of two
// halves, 80 bytes less code on 386, whose binary sits at a page step.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Span(u32);

impl Span {
    /// No text.
    const EMPTY: Span = Span(0);

    /// LEN bytes from AT. Compile time only (`pack`).
    const fn new(at: usize, len: usize) -> Span {
        Span(narrow_u16(at) as u32 | (narrow_u16(len) as u32) << 16)
    }

    /// The text it spans; empty if it spans none (it always does: `pack`
    /// made it).
    // The one reader of TEXT, and never inlined: TEXT is a const (a static
    // could not be read as a `str` without checking its UTF-8 again), and a
    // const's data is emitted once per crate that uses it; inlined into
    // the binary's crate too, the table's text was in the file twice.
    #[inline(never)]
    fn text(&self) -> &'static str {
        let at = (self.0 & 0xffff) as usize;
        TEXT.get(at..at + (self.0 >> 16) as usize)
            .unwrap_or_default()
    }
}

/// Every string of the table, end to end (as UTF-8 is checked once, when
/// compiling).
const TEXT: &str = match std::str::from_utf8(&TEXT_BYTES) {
    Ok(text) => text,
    // Const evaluation: this can only fail the build.
    #[allow(clippy::panic)]
    Err(_) => panic!("the option table's text is not UTF-8"),
};

/// The variables' names, every setting's list once, as spans of [`TEXT`].
static VARS: [Span; VAR_COUNT] = PACKED.vars;

/// [`TEXT`]'s bytes. (A const of its own: a reference into `PACKED` would
/// keep all of `PACKED` in the binary.)
const TEXT_BYTES: [u8; TEXT_LEN] = PACKED.text;

/// The whole table packed, when compiling.
const PACKED: Packed = pack();

/// [`ROWS`] packed: their strings end to end, the variables' spans, and
/// the rows.
struct Packed {
    text: [u8; TEXT_LEN],
    vars: [Span; VAR_COUNT],
    opts: [Opt; COUNT],
}

/// How long [`TEXT`] is: every row's long name, example and help, and the
/// variables of each setting once.
const TEXT_LEN: usize = sizes().0;

/// How many variable names [`VARS`] holds: each setting's once.
const VAR_COUNT: usize = sizes().1;

/// Computes ([`TEXT_LEN`], [`VAR_COUNT`]), walking the rows as `pack` does.
// Const evaluation: an index out of bounds would fail the build, never a
// run, and `get` is not available in const fns.
#[allow(clippy::indexing_slicing)]
const fn sizes() -> (usize, usize) {
    let (mut text, mut vars) = (0, 0);
    let mut row = 0;
    while row < COUNT {
        let r = &ROWS[row];
        text += r.long.len() + r.example.len() + r.help.len();
        if SETTING[row] == row {
            let mut i = 0;
            while i < r.env.len() {
                text += r.env[i].len();
                i += 1;
            }
            vars += r.env.len();
        }
        row += 1;
    }
    (text, vars)
}

/// Packs [`ROWS`]: for each row its long name, example and help, then (for
/// the first row of each setting) its variables, in that order.
#[allow(clippy::indexing_slicing)]
const fn pack() -> Packed {
    let mut blob = Blob {
        bytes: [0; TEXT_LEN],
        used: 0,
    };
    let mut vars = [Span::EMPTY; VAR_COUNT];
    let mut used_vars = 0;
    let mut opts = [Opt {
        long: Span::EMPTY,
        short: None,
        kind: Kind::Switch,
        repeatable: false,
        vars: (0, 0),
        example: Span::EMPTY,
        help: Span::EMPTY,
    }; COUNT];
    let mut row = 0;
    while row < COUNT {
        let r: &Row = &ROWS[row];
        let (b, long) = blob.put(r.long);
        let (b, example) = b.put(r.example);
        let (b, help) = b.put(r.help);
        blob = b;
        let first = SETTING[row];
        let range = if first < row {
            // Same variables as an earlier row: the same range.
            opts[first].vars
        } else {
            let start = used_vars;
            let mut i = 0;
            while i < r.env.len() {
                let (b, var) = blob.put(r.env[i]);
                blob = b;
                vars[used_vars] = var;
                used_vars += 1;
                i += 1;
            }
            (narrow_u8(start), narrow_u8(r.env.len()))
        };
        opts[row] = Opt {
            long,
            short: r.short,
            kind: r.kind,
            repeatable: r.repeatable,
            vars: range,
            example,
            help,
        };
        row += 1;
    }
    if blob.used != TEXT_LEN || used_vars != VAR_COUNT {
        // Const evaluation: this can only fail the build.
        #[allow(clippy::panic)]
        {
            panic!("`sizes` and `pack` walk the rows differently");
        }
    }
    Packed {
        text: blob.bytes,
        vars,
        opts,
    }
}

/// [`TEXT`] while `pack` fills it: its bytes and how many are used.
struct Blob {
    bytes: [u8; TEXT_LEN],
    used: usize,
}

impl Blob {
    /// Appends S: the blob with S at its end, and where S is.
    #[allow(clippy::indexing_slicing)]
    const fn put(mut self, s: &str) -> (Blob, Span) {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            self.bytes[self.used + i] = bytes[i];
            i += 1;
        }
        let span = Span::new(self.used, bytes.len());
        self.used += bytes.len();
        (self, span)
    }
}

/// N as a u16, for a span. Compile time only (`pack`).
const fn narrow_u16(n: usize) -> u16 {
    if n > u16::MAX as usize {
        // Const evaluation: this can only fail the build.
        #[allow(clippy::panic)]
        {
            panic!("the option table's text is over 64 KiB");
        }
    }
    n as u16
}

/// N as a u8, for a range of variables. Compile time only (`pack`).
const fn narrow_u8(n: usize) -> u8 {
    if n > u8::MAX as usize {
        // Const evaluation: this can only fail the build.
        #[allow(clippy::panic)]
        {
            panic!("the option table has over 255 variables");
        }
    }
    n as u8
}

/// Computes [`SETTING`].
#[allow(clippy::indexing_slicing)]
const fn settings() -> [usize; COUNT] {
    let mut setting = [0; COUNT];
    let mut row = 0;
    while row < COUNT {
        let mut first = 0;
        while first < row && !same_vars(ROWS[first].env, ROWS[row].env) {
            first += 1;
        }
        setting[row] = first;
        row += 1;
    }
    setting
}

/// Whether A and B list the same variables (a const `==` on them).
#[allow(clippy::indexing_slicing)]
const fn same_vars(a: &[&str], b: &[&str]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if !same_str(a[i], b[i]) {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether A and B are the same string (a const `==`).
#[allow(clippy::indexing_slicing)]
const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_packed_row_reads_back_as_written() {
        assert_eq!(OPTIONS.len(), ROWS.len());
        for (i, (opt, row)) in OPTIONS.iter().zip(ROWS).enumerate() {
            assert_eq!(opt.long(), row.long);
            assert_eq!(row_of(row.long), i, "{}", row.long);
            assert_eq!(by_long(row.long).map(|(n, _)| n), Some(i), "{}", row.long);
            assert_eq!(opt.short, row.short, "{}", row.long);
            assert_eq!(opt.kind, row.kind, "{}", row.long);
            assert_eq!(opt.repeatable, row.repeatable, "{}", row.long);
            assert_eq!(opt.env().collect::<Vec<_>>(), row.env, "{}", row.long);
            assert_eq!(opt.env().len(), row.env.len(), "{}", row.long);
            assert_eq!(opt.example(), row.example, "{}", row.long);
            assert_eq!(opt.help(), row.help, "{}", row.long);
        }
        // Nothing in the text but the rows' strings, each setting's
        // variables once.
        assert_eq!(TEXT.len(), TEXT_LEN);
        assert!(!TEXT.contains('\0'));
    }

    #[test]
    fn options_sharing_a_setting_share_one_range_of_variables() {
        let by = |long| by_long(long).unwrap().1;
        let table = [
            ("verbose", "quiet", true),
            ("subreaper", "process-group", false),
            ("help", "version", true),
            ("grace", "kill-after", false),
        ];
        for (a, b, shared) in table {
            assert_eq!(by(a).vars == by(b).vars, shared, "{a} {b}");
        }
    }
}
