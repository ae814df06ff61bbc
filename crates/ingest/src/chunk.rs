//! Cutting a byte stream into chunks that end on record boundaries, so that
//! chunks can be parsed on several threads.

use memchr::{memchr_iter, memrchr};

/// Where to cut `data` so the first part ends just after a line break that is
/// outside any quoted field (assuming `data` starts outside quotes). `None`
/// when there is no such line break.
///
/// Quotes are rare in transaction files, so this looks them up once and then
/// walks back from the last line break, instead of scanning every byte.
pub fn record_boundary(data: &[u8]) -> Option<usize> {
    let quotes: Vec<usize> = memchr_iter(b'"', data).collect();
    let mut end = data.len();
    while let Some(newline) = memrchr(b'\n', &data[..end]) {
        let quotes_before = quotes.partition_point(|&q| q < newline);
        if quotes_before % 2 == 0 {
            return Some(newline + 1);
        }
        // Inside a quoted field: the cut must come before the opening quote.
        let opening = quotes[quotes_before - 1];
        end = opening;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_after_the_last_unquoted_newline() {
        assert_eq!(record_boundary(b"a,b\nc,d\ne,f"), Some(8));
        assert_eq!(record_boundary(b"a,b\nc,\"multi\nline\" tail"), Some(4));
        assert_eq!(record_boundary(b"a,\"x\"\"y\"\nrest"), Some(9));
        assert_eq!(record_boundary(b"no newline"), None);
        assert_eq!(record_boundary(b"\"open\nquote"), None);
    }
}
