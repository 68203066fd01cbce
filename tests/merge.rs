//! `bounce-report merge` (issue 22): the summaries of runs over parts of a
//! log merged equal the run over the whole log, field for field, except the
//! fields the merge names as estimated; merging is commutative and
//! associative; bad summaries are refused with exit status 2.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::Value;

use crate::common::*;

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A generated log of four hosts, split into one file per host, and each
/// host's `-f json`: made once for all the tests here.
struct Fleet {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    whole: Value,
    hosts: Vec<String>,
}

const HOSTS: usize = 4;

fn fleet() -> Option<&'static Fleet> {
    static FLEET: OnceLock<Option<Fleet>> = OnceLock::new();
    FLEET
        .get_or_init(|| {
            let shared = shared()?;
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().to_path_buf();
            let (log, _) = generate(
                &shared,
                &dir,
                "all.log",
                &[
                    "--lines",
                    "12000",
                    "--hosts",
                    &HOSTS.to_string(),
                    "--seed",
                    "22",
                    "--timestamps",
                    "rfc3339",
                ],
            );
            let hosts: Vec<String> = (1..=HOSTS).map(|i| format!("mx{i}")).collect();
            let whole = json(&["-f", "json", &s(&log)]);
            Some(Fleet {
                _dir: tmp,
                dir,
                whole,
                hosts,
            })
        })
        .as_ref()
}

/// The lines of some hosts, in the log's order, written to `name`.log, and
/// `-f json` over them written to `name`.json (what `grep` on the host
/// field, or each host's own log, gives).
fn run_part(f: &Fleet, hosts: &[&String], name: &str) -> PathBuf {
    let text = std::fs::read_to_string(f.dir.join("all.log")).unwrap();
    let part: String = text
        .lines()
        .filter(|l| hosts.iter().any(|h| l.split(' ').nth(1) == Some(h.as_str())))
        .flat_map(|l| [l, "\n"])
        .collect();
    let log = f.dir.join(format!("{name}.log"));
    std::fs::write(&log, part).unwrap();
    let out = bounce_report().args(["-f", "json", &s(&log)]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let path = f.dir.join(format!("{name}.json"));
    std::fs::write(&path, out.stdout).unwrap();
    path
}

/// `merge` of `parts`, as JSON, with its stderr.
fn merge(parts: &[PathBuf], extra: &[&str]) -> (Value, String) {
    let mut args: Vec<String> = vec!["merge".into(), "-f".into(), "json".into()];
    args.extend(extra.iter().map(|a| a.to_string()));
    args.extend(parts.iter().map(|p| s(p)));
    let out = bounce_report().args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "merge {args:?}: {stderr}");
    (serde_json::from_slice(&out.stdout).expect("JSON"), stderr)
}

/// The names `estimated` may hold, each with the fields it covers.
const ESTIMATED: &[&str] = &[
    "examples",
    "advice",
    "incidents",
    "single_failures",
    "resolver_incidents",
    "window",
    "deferral_histories",
];

/// `v` without the fields `estimated` names (and without `files`, which
/// name the inputs read: their lines and bytes are compared apart).
fn exact_part(v: &Value, merged: &Value) -> Value {
    let mut v = v.clone();
    let estimated: Vec<String> = merged["estimated"]
        .as_array()
        .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    for e in &estimated {
        assert!(ESTIMATED.contains(&e.as_str()), "unknown estimated field {e}");
    }
    let o = v.as_object_mut().unwrap();
    o.remove("files");
    o.remove("estimated");
    let has = |name: &str| estimated.iter().any(|e| e == name);
    for name in ["incidents", "single_failures", "resolver_incidents", "window"] {
        if has(name) {
            o.remove(name);
        }
    }
    let strip = |v: &mut Value, key: &str| {
        for row in v.as_array_mut().into_iter().flatten() {
            row.as_object_mut().unwrap().remove(key);
        }
    };
    if has("examples") {
        strip(&mut o["by_cause"], "example");
        strip(&mut o["unclassified"], "example");
        for kinds in o["merge_state"]["cause_kinds"]
            .as_object_mut()
            .unwrap()
            .values_mut()
        {
            strip(kinds, "example");
            strip(kinds, "rank");
        }
    }
    if has("advice") {
        strip(&mut o["by_cause"], "advice");
    }
    v
}

fn file_sums(v: &Value) -> (u64, u64) {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .fold((0, 0), |(l, b), f| (l + n(&f["lines"]), b + n(&f["bytes"])))
}

/// The merged summary equals the single run on every exact field, and
/// names every field where it is not exact.
fn assert_same_run(whole: &Value, merged: &Value) {
    assert_eq!(file_sums(whole), file_sums(merged), "lines and bytes read");
    let (w, m) = (exact_part(whole, merged), exact_part(merged, merged));
    // Fields the single run has that the merge lost are an error too.
    for (k, v) in w.as_object().unwrap() {
        if merged.get(k).is_none() {
            panic!("merge lost {k}");
        }
        assert_eq!(v, &m[k], "field {k} differs and is not named as estimated");
    }
    assert_eq!(w, m);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, .. ProptestConfig::default() })]

    /// A log split by host in random groups, each group run apart, the
    /// parts merged in random order: the run over the whole log.
    #[test]
    fn merged_host_parts_equal_the_single_run(
        groups in proptest::collection::vec(0usize..HOSTS, HOSTS),
        order in Just((0..HOSTS).collect::<Vec<usize>>()).prop_shuffle(),
    ) {
        let Some(f) = fleet() else { return Ok(()) };
        let mut parts: BTreeMap<usize, Vec<&String>> = BTreeMap::new();
        for (h, g) in f.hosts.iter().zip(&groups) {
            parts.entry(*g).or_default().push(h);
        }
        let mut paths: Vec<PathBuf> = parts
            .iter()
            .map(|(g, hosts)| run_part(f, hosts, &format!("group-{g}-{}", groups.iter().map(|x| x.to_string()).collect::<String>())))
            .collect();
        // Random order: the parts sorted by the shuffled group numbers.
        let rank: Vec<usize> = parts.keys().map(|g| order.iter().position(|o| o == g).unwrap()).collect();
        let mut ranked: Vec<(usize, PathBuf)> = rank.into_iter().zip(paths.drain(..)).collect();
        ranked.sort();
        let paths: Vec<PathBuf> = ranked.into_iter().map(|(_, p)| p).collect();
        let (merged, stderr) = merge(&paths, &[]);
        assert_same_run(&f.whole, &merged);
        if paths.len() > 1 {
            // Hosts' incidents cannot be joined exactly: said, in the JSON
            // and on stderr.
            let est = merged["estimated"].as_array().expect("estimated");
            prop_assert!(est.iter().any(|e| e == "incidents"));
            prop_assert!(stderr.contains("estimated, not exact"), "{}", stderr);
        } else {
            prop_assert!(merged.get("estimated").is_none());
        }
    }
}

/// Merging a file with nothing else gives the file back, byte for byte.
#[test]
fn merge_of_one_summary_is_that_summary() {
    let Some(f) = fleet() else { return };
    let all: Vec<&String> = f.hosts.iter().collect();
    let one = run_part(f, &all, "one");
    let out = bounce_report()
        .args(["merge", "-f", "json", &s(&one)])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        std::fs::read_to_string(&one).unwrap()
    );
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// merge(A, B) = merge(B, A) and merge(merge(A, B), C) = merge(A, merge(B,
/// C)) = merge(A, B, C), all of it, estimated fields included.
#[test]
fn merge_is_commutative_and_associative() {
    let Some(f) = fleet() else { return };
    let h = &f.hosts;
    let a = run_part(f, &[&h[0]], "a");
    let b = run_part(f, &[&h[1], &h[2]], "b");
    let c = run_part(f, &[&h[3]], "c");
    let save = |v: &Value, name: &str| {
        let p = f.dir.join(name);
        std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
        p
    };
    let without_files = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("files");
        v
    };
    let ab = merge(&[a.clone(), b.clone()], &[]).0;
    let ba = merge(&[b.clone(), a.clone()], &[]).0;
    assert_eq!(ab, ba);
    let bc = merge(&[b.clone(), c.clone()], &[]).0;
    let ab_c = merge(&[save(&ab, "ab.json"), c.clone()], &[]).0;
    let a_bc = merge(&[a.clone(), save(&bc, "bc.json")], &[]).0;
    let abc = merge(&[c.clone(), a.clone(), b.clone()], &[]).0;
    assert_eq!(ab_c, a_bc);
    assert_eq!(without_files(&ab_c), without_files(&abc));
    assert_eq!(ab_c["files"], abc["files"]);
}

/// The other formats come from the merged summary through the main
/// command's renderers: the table, Markdown, CSV and Prometheus of a merge
/// of one summary are those of the run it came from.
#[test]
fn merge_writes_every_format_as_the_run_does() {
    let Some(f) = fleet() else { return };
    let log = s(&f.dir.join("all.log"));
    let one = f.dir.join("formats.json");
    std::fs::write(&one, serde_json::to_vec_pretty(&f.whole).unwrap()).unwrap();
    let one = s(&one);
    for format in ["table", "markdown", "csv", "prometheus", "html"] {
        let run = bounce_report().args(["-f", format, &log]).output().unwrap();
        let merged = bounce_report()
            .args(["merge", "-f", format, &one])
            .output()
            .unwrap();
        assert!(
            merged.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&merged.stderr)
        );
        // Prometheus says when the report was made: the clock, not the data.
        let text = |b: &[u8]| -> String {
            String::from_utf8_lossy(b)
                .lines()
                .filter(|l| !l.starts_with("bounce_report_last_run_timestamp_seconds "))
                .flat_map(|l| [l, "\n"])
                .collect()
        };
        let (run, merged) = (text(&run.stdout), text(&merged.stdout));
        // The file rows name the input: all.log read, or all.log's summary.
        if let Some((a, b)) = run.lines().zip(merged.lines()).find(|(a, b)| a != b) {
            panic!("{format}: the run has\n{a}\nthe merge\n{b}");
        }
        assert_eq!(run, merged, "{format}");
    }
}

/// One host's rotated set, each file run apart: the files' lines and the
/// sent and bounced events merge exactly, and since the deferral histories
/// that cross from one file to the next are cut, the merge says so
/// (`deferral_histories`, README "Many servers").
#[test]
fn merged_rotated_files_flag_the_cut_deferral_histories() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = generate(
        &shared,
        dir.path(),
        "maillog",
        &[
            "--lines",
            "6000",
            "--days",
            "3",
            "--rotate",
            "2",
            "--seed",
            "23",
            "--expire-rate",
            "0.05",
        ],
    );
    let files = [log.with_extension("2.gz"), log.with_extension("1"), log.clone()];
    let whole = json(&["-f", "json", &s(&files[0]), &s(&files[1]), &s(&files[2])]);
    let parts: Vec<PathBuf> = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let out = bounce_report().args(["-f", "json", &s(f)]).output().unwrap();
            assert!(out.status.success());
            let p = dir.path().join(format!("part{i}.json"));
            std::fs::write(&p, out.stdout).unwrap();
            p
        })
        .collect();
    let (merged, stderr) = merge(&parts, &[]);
    assert_eq!(file_sums(&whole), file_sums(&merged));
    for k in ["sent", "bounced", "lines", "parsed", "malformed"] {
        assert_eq!(whole["totals"][k], merged["totals"][k], "{k}");
    }
    let est = merged["estimated"].as_array().expect("estimated");
    assert!(est.iter().any(|e| e == "deferral_histories"), "{est:?}");
    assert!(stderr.contains("deferral_histories"), "{stderr}");
}

/// Not JSON, JSON of another shape, a summary without merge_state (written
/// before merge) or from another version: a message naming the file, exit
/// status 2, never a panic.
#[test]
fn bad_summaries_are_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = json(&["-f", "json", &s(&fixture("maillog"))]);
    let mut old = good.clone();
    old.as_object_mut().unwrap().remove("merge_state");
    let mut other = good.clone();
    other["merge_state"]["version"] = "0.0.1".into();
    let mut shape = good.clone();
    shape["totals"]["sent"] = "many".into();
    let mut hashes = good.clone();
    hashes["merge_state"]["bounced_recipients"] = "xyz".into();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "text.json",
            b"Nov 21 03:14:07 mx1 postfix/smtp[1]: hello\n".to_vec(),
            "not JSON",
        ),
        ("array.json", b"[1, 2, 3]".to_vec(), "not a bounce-report summary"),
        ("old.json", serde_json::to_vec(&old).unwrap(), "no merge_state"),
        (
            "other.json",
            serde_json::to_vec(&other).unwrap(),
            "written by bounce-report 0.0.1",
        ),
        ("shape.json", serde_json::to_vec(&shape).unwrap(), "not the shape"),
        ("hashes.json", serde_json::to_vec(&hashes).unwrap(), "hashes"),
        ("empty.json", Vec::new(), "not JSON"),
    ];
    for (name, bytes, says) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let out = bounce_report().args(["merge", &s(&p)]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(name) && stderr.contains(says), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
    let missing = bounce_report()
        .args(["merge", &s(&dir.path().join("nothing.json"))])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}
