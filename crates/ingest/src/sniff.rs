//! Recognising files that are not CSV data before trying to read them.

/// What the first bytes of a file say it is, when it is not CSV text.
/// Returns a message naming the problem and the fix, or `None` if the file
/// may be CSV.
pub fn not_csv(head: &[u8]) -> Option<String> {
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text_start = body.trim_ascii_start();
    let problem = if text_start.is_empty() {
        "the file is empty"
    } else if body.starts_with(b"version https://git-lfs") {
        "it is a Git LFS pointer, not the data (the real file was never downloaded: run `git lfs pull` or fetch the file itself)"
    } else if body.starts_with(b"PK\x03\x04") {
        "it is a ZIP archive: extract the CSV file from it first"
    } else if body.starts_with(b"\x1f\x8b") {
        "it is gzip-compressed: decompress it first (gunzip)"
    } else if body.starts_with(b"\x28\xb5\x2f\xfd") {
        "it is zstd-compressed: decompress it first (zstd -d)"
    } else if body.starts_with(b"PAR1") {
        "it is a Parquet file, not CSV"
    } else if text_start.starts_with(b"{") || text_start.starts_with(b"[") {
        "it is JSON, not CSV (records with nested objects cannot be mapped column by column)"
    } else if body.contains(&0) {
        "it is a binary file, not CSV text"
    } else {
        return None;
    };
    Some(problem.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_usual_impostors() {
        assert!(not_csv(b"").unwrap().contains("empty"));
        assert!(not_csv(b"\xEF\xBB\xBF  \n").unwrap().contains("empty"));
        assert!(
            not_csv(b"version https://git-lfs.github.com/spec/v1\noid sha256:20")
                .unwrap()
                .contains("LFS")
        );
        assert!(not_csv(b"{\"trans_num\":\"0b\"}").unwrap().contains("JSON"));
        assert!(not_csv(b"PK\x03\x04rest").unwrap().contains("ZIP"));
        assert!(not_csv(b",trans_date_trans_time,cc_num\n0,2019").is_none());
    }
}
