//! Splitting a chunk of CSV into records and fields without copying them.
//!
//! The parsing threads used the `csv` crate's reader, which copies every
//! byte of every field into its record buffer through a byte-at-a-time state
//! machine; that was the largest single cost of `vigie ingest`. This splitter
//! reads the same dialect (RFC 4180 quoting with doubled quotes, `\n`, `\r\n`
//! or `\r` line ends, blank lines skipped, any number of fields per record)
//! and gives each field as a slice of the chunk, found with `memchr`'s
//! vectorised search. Only a quoted field whose text must be rewritten (a
//! doubled quote, or text after the closing quote) is copied, into a scratch
//! buffer. A differential test checks it against the `csv` crate on
//! arbitrary input, record for record and line number for line number.

use std::ops::Range;

use memchr::{memchr, memchr_iter, memchr3};

/// Where one field's text is.
#[derive(Debug, Clone)]
enum Span {
    /// In the chunk.
    Data(Range<usize>),
    /// In the splitter's scratch buffer (the text was rewritten).
    Scratch(Range<usize>),
}

/// One record: where it is in the chunk, the line it starts on, and its
/// fields (see [`Splitter::fields`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSpan {
    /// First byte of the record.
    pub start: usize,
    /// Just past the record's line end (or the end of the chunk).
    pub end: usize,
    /// The 1-based line the record starts on, counted from the chunk's start.
    pub line: u64,
}

/// The fields of the record last returned by [`Splitter::next_record`].
pub struct SplitFields<'a> {
    data: &'a [u8],
    scratch: &'a [u8],
    spans: &'a [Span],
}

impl SplitFields<'_> {
    /// The number of fields.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the record has no fields (never, for a record the splitter
    /// returned: an empty line is skipped, not a record).
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Field `i`, unquoted.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        Some(match self.spans.get(i)? {
            Span::Data(r) => &self.data[r.clone()],
            Span::Scratch(r) => &self.scratch[r.clone()],
        })
    }
}

/// Walks the records of a chunk that starts at a record boundary.
pub struct Splitter {
    delimiter: u8,
    pos: usize,
    line: u64,
    spans: Vec<Span>,
    scratch: Vec<u8>,
}

impl Splitter {
    /// A splitter for fields separated by `delimiter` (never a quote or a
    /// line break: the mapping refuses those).
    pub fn new(delimiter: u8) -> Self {
        Self {
            delimiter,
            pos: 0,
            line: 1,
            spans: Vec::with_capacity(32),
            scratch: Vec::new(),
        }
    }

    /// Line breaks seen so far: after the last record, the chunk's count.
    pub fn newlines(&self) -> u64 {
        self.line - 1
    }

    /// The fields of the record last returned by [`Self::next_record`].
    pub fn fields<'a>(&'a self, data: &'a [u8]) -> SplitFields<'a> {
        SplitFields {
            data,
            scratch: &self.scratch,
            spans: &self.spans,
        }
    }

    /// The next record of `data` (the same slice on every call), or `None`
    /// at its end.
    pub fn next_record(&mut self, data: &[u8]) -> Option<RecordSpan> {
        self.skip_line_ends(data);
        if self.pos >= data.len() {
            return None;
        }
        let start = self.pos;
        let line = self.line;
        self.spans.clear();
        self.scratch.clear();
        loop {
            let field_end = if data[self.pos] == b'"' {
                self.quoted_field(data)
            } else {
                let from = self.pos;
                let end = self.find_field_end(data, from);
                self.spans.push(Span::Data(from..end));
                end
            };
            match data.get(field_end) {
                Some(&b) if b == self.delimiter => {
                    self.pos = field_end + 1;
                    if self.pos == data.len() {
                        // A delimiter at the very end: one more, empty field.
                        self.spans.push(Span::Data(self.pos..self.pos));
                        break;
                    }
                }
                Some(b'\r') => {
                    self.pos = field_end + 1;
                    if data.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                        self.line += 1;
                    }
                    break;
                }
                Some(_) => {
                    // b'\n' (the only other byte a field ends on).
                    self.pos = field_end + 1;
                    self.line += 1;
                    break;
                }
                None => {
                    self.pos = data.len();
                    break;
                }
            }
        }
        Some(RecordSpan {
            start,
            end: self.pos,
            line,
        })
    }

    fn skip_line_ends(&mut self, data: &[u8]) {
        while let Some(&b) = data.get(self.pos) {
            match b {
                b'\n' => self.line += 1,
                b'\r' => {}
                _ => break,
            }
            self.pos += 1;
        }
    }

    /// The end of unquoted text starting at `from`: the next delimiter or
    /// line break, or the end of the data.
    fn find_field_end(&self, data: &[u8], from: usize) -> usize {
        memchr3(self.delimiter, b'\n', b'\r', &data[from..]).map_or(data.len(), |i| from + i)
    }

    /// Reads the quoted field at `self.pos`; returns where it ends (on a
    /// delimiter, a line break or the end of the data).
    fn quoted_field(&mut self, data: &[u8]) -> usize {
        let open = self.pos + 1;
        // Text before `segment` is already unquoted into the scratch buffer,
        // from `rewritten` on; without a rewrite, `segment == open`.
        let mut segment = open;
        let mut rewritten: Option<usize> = None;
        loop {
            let Some(close) = memchr(b'"', &data[segment..]).map(|i| segment + i) else {
                // Unterminated: the field runs to the end of the data.
                self.count_newlines(&data[segment..]);
                let end = data.len();
                self.push_quoted(data, segment..end, rewritten, end..end);
                return end;
            };
            self.count_newlines(&data[segment..close]);
            if data.get(close + 1) == Some(&b'"') {
                // A doubled quote stands for one quote.
                rewritten.get_or_insert(self.scratch.len());
                self.scratch.extend_from_slice(&data[segment..=close]);
                segment = close + 2;
                continue;
            }
            let after = close + 1;
            let end = match data.get(after) {
                None => after,
                Some(&b) if b == self.delimiter || b == b'\n' || b == b'\r' => after,
                // Text after the closing quote is kept, as plain text.
                Some(_) => self.find_field_end(data, after),
            };
            self.push_quoted(data, segment..close, rewritten, after..end);
            return end;
        }
    }

    /// Records a quoted field: the text already in the scratch buffer (from
    /// `rewritten`), then `data[last]`, then the plain text `data[tail]`.
    fn push_quoted(
        &mut self,
        data: &[u8],
        last: Range<usize>,
        rewritten: Option<usize>,
        tail: Range<usize>,
    ) {
        if rewritten.is_none() && tail.is_empty() {
            self.spans.push(Span::Data(last));
            return;
        }
        let start = rewritten.unwrap_or(self.scratch.len());
        self.scratch.extend_from_slice(&data[last]);
        self.scratch.extend_from_slice(&data[tail]);
        self.spans.push(Span::Scratch(start..self.scratch.len()));
    }

    fn count_newlines(&mut self, text: &[u8]) {
        self.line += memchr_iter(b'\n', text).count() as u64;
    }
}

#[cfg(test)]
mod tests {
    use csv::ByteRecord;
    use proptest::prelude::*;

    use super::*;

    /// What the `csv` crate makes of `data`: each record's fields, its start
    /// line (after the blank lines before it), and the chunk's line count.
    fn reference(data: &[u8], delimiter: u8) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(data);
        let mut record = ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let end = reader.position().byte() as usize;
            let (mut start, mut line) = record
                .position()
                .map_or((0, 1), |p| (p.byte() as usize, p.line()));
            while start < end && matches!(data[start], b'\r' | b'\n') {
                line += u64::from(data[start] == b'\n');
                start += 1;
            }
            out.push((line, record.iter().map(<[u8]>::to_vec).collect()));
        }
        out
    }

    fn split(data: &[u8], delimiter: u8) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut splitter = Splitter::new(delimiter);
        let mut out = Vec::new();
        while let Some(record) = splitter.next_record(data) {
            let fields = splitter.fields(data);
            let values = (0..fields.len())
                .map(|i| fields.get(i).unwrap().to_vec())
                .collect();
            out.push((record.line, values));
        }
        assert_eq!(splitter.newlines(), memchr_iter(b'\n', data).count() as u64);
        out
    }

    #[test]
    fn plain_quoted_and_rewritten_fields() {
        let data = b"a,b,c\n\"x,y\",\"say \"\"hi\"\"\",\"q\"tail\r\n\r\n\"multi\nline\",,\n";
        let got = split(data, b',');
        assert_eq!(got, reference(data, b','));
        assert_eq!(got[1].1[1], b"say \"hi\"");
        assert_eq!(got[1].1[2], b"qtail");
        assert_eq!(got[2].0, 4);
        assert_eq!(got[2].1, [&b"multi\nline"[..], b"", b""]);
    }

    #[test]
    fn end_of_data_cases() {
        for data in [
            &b"a,b,"[..],
            b"a,\"open",
            b"\"",
            b"a\r",
            b"x,\"\"",
            b"\"a\"\"",
            b",",
        ] {
            assert_eq!(split(data, b','), reference(data, b','), "{data:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn splits_like_the_csv_crate(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b','), Just(b';'), Just(b'"'), Just(b'\n'), Just(b'\r'), Just(b'7')],
                0..60,
            ),
            semicolon in any::<bool>(),
        ) {
            let delimiter = if semicolon { b';' } else { b',' };
            prop_assert_eq!(split(&bytes, delimiter), reference(&bytes, delimiter));
        }
    }
}
