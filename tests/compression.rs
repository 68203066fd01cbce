//! bzip2, xz and zstd copies of a log, each as two concatenated streams,
//! give the same report as the plain log: compression is found by the
//! first bytes, whatever the name.

use std::io::Write;

use crate::common::*;

fn compress(kind: &str, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match kind {
        "bzip2" => {
            let mut w = bzip2::write::BzEncoder::new(&mut out, bzip2::Compression::default());
            w.write_all(data).unwrap();
            w.finish().unwrap();
        }
        "xz" => {
            let mut w = liblzma::write::XzEncoder::new(&mut out, 6);
            w.write_all(data).unwrap();
            w.finish().unwrap();
        }
        "zstd" => out = zstd::encode_all(data, 3).unwrap(),
        "gzip" => {
            let mut w = flate2::write::GzEncoder::new(&mut out, flate2::Compression::default());
            w.write_all(data).unwrap();
            w.finish().unwrap();
        }
        _ => unreachable!(),
    }
    out
}

#[test]
fn every_compression_in_concatenated_streams_gives_the_plain_report() {
    let plain = std::fs::read(fixture("dirty.log")).unwrap();
    let want = json(&["-f", "json", &fixture("dirty.log").to_string_lossy()]);
    let dir = tempfile::tempdir().unwrap();
    let cut = plain.len() / 3;
    for kind in ["gzip", "bzip2", "xz", "zstd"] {
        let mut data = compress(kind, &plain[..cut]);
        data.extend(compress(kind, &plain[cut..]));
        // A name that says nothing about the compression.
        let path = dir.path().join(format!("mail-{kind}.log"));
        std::fs::write(&path, data).unwrap();
        let got = json(&["-f", "json", &path.to_string_lossy()]);
        assert_eq!(got["files"][0]["compression"], kind);
        for key in [
            "totals",
            "by_domain",
            "by_cause",
            "deferred_outcomes",
            "by_sender_domain",
        ] {
            assert_eq!(got[key], want[key], "{kind}: {key} differs");
        }
    }
}

#[test]
fn rotated_set_with_mixed_compressions_equals_its_truth() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["maillog.2.gz", "maillog.1", "maillog"];
    let kinds = ["xz", "zstd", "bzip2"];
    for (name, kind) in names.iter().zip(kinds) {
        let data = std::fs::read(fixture(&format!("rotated/{name}"))).unwrap();
        let plain = if name.ends_with(".gz") {
            let mut s = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&data[..]), &mut s).unwrap();
            s
        } else {
            data
        };
        let path = dir.path().join(name);
        std::fs::write(&path, compress(kind, &plain)).unwrap();
        // Keep the years: classic timestamps get theirs from the modification time.
        let mtime = std::fs::metadata(fixture(&format!("rotated/{name}")))
            .unwrap()
            .modified()
            .unwrap();
        set_mtime(&path, mtime);
    }
    let report = json(&["-f", "json", &dir.path().to_string_lossy()]);
    assert_matches_truth(&report, &read_json(&fixture("rotated/truth.json")));
}
