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
    "missing_runs",
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

/// A generated three-host log with deferrals and expiries that cross the
/// cuts, and the single run over it: made once for the chain tests.
struct Chained {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    whole: Value,
    /// Each host's lines, in the log's order.
    hosts: Vec<Vec<String>>,
}

fn chained() -> Option<&'static Chained> {
    static CHAINED: OnceLock<Option<Chained>> = OnceLock::new();
    CHAINED
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
                    "4000",
                    "--hosts",
                    "3",
                    "--seed",
                    "42",
                    "--days",
                    "2",
                    "--timestamps",
                    "rfc3339",
                    "--defer-rate",
                    "0.2",
                    "--expire-rate",
                    "0.05",
                    "--queue-lifetime",
                    "1d",
                ],
            );
            let whole = json(&["-f", "json", &s(&log)]);
            let text = std::fs::read_to_string(&log).unwrap();
            let hosts = (1..=3)
                .map(|i| {
                    let h = format!("mx{i}");
                    text.lines()
                        .filter(|l| l.split(' ').nth(1) == Some(h.as_str()))
                        .map(|l| format!("{l}\n"))
                        .collect::<Vec<_>>()
                })
                .collect();
            Some(Chained {
                _dir: tmp,
                dir,
                whole,
                hosts,
            })
        })
        .as_ref()
}

/// One host's lines cut at `cuts` (fractions of its lines) into successive
/// rotated files: each part becomes the new `mail.log` (the older ones
/// renamed to `mail.log.1`, `mail.log.2`, … as logrotate does), and a run
/// with the host's `--state` over `mail.log*` follows each, its `-f json`
/// kept. Returns the runs' summaries, oldest first.
fn rotated_runs(c: &Chained, case: &str, host: usize, cuts: &[f64]) -> Vec<PathBuf> {
    let lines = &c.hosts[host];
    let mut at: Vec<usize> = cuts
        .iter()
        .map(|f| ((lines.len() as f64 * f) as usize).clamp(1, lines.len() - 1))
        .collect();
    at.push(0);
    at.push(lines.len());
    at.sort_unstable();
    at.dedup();
    let dir = c.dir.join(format!("{case}-mx{}", host + 1));
    std::fs::create_dir_all(&dir).unwrap();
    let state = c.dir.join(format!("{case}-mx{}.state", host + 1));
    let mut out = Vec::new();
    for (i, w) in at.windows(2).enumerate() {
        for k in (0..i).rev() {
            let name = |k: usize| match k {
                0 => dir.join("mail.log"),
                k => dir.join(format!("mail.log.{k}")),
            };
            std::fs::rename(name(k), name(k + 1)).unwrap();
        }
        std::fs::write(dir.join("mail.log"), lines[w[0]..w[1]].concat()).unwrap();
        let mut logs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        logs.sort();
        logs.reverse(); // mail.log.2, mail.log.1, mail.log
        let run = bounce_report()
            .arg("--state")
            .arg(&state)
            .args(["-f", "json"])
            .args(&logs)
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        let v: Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(
            n(&v["merge_state"]["chain"]["run"]),
            i as u64 + 1,
            "the runs are numbered"
        );
        let path = c.dir.join(format!("{case}-mx{}-run{}.json", host + 1, i + 1));
        std::fs::write(&path, run.stdout).unwrap();
        out.push(path);
    }
    out
}

/// `merged` without what only a merge of `--state` runs has.
fn without_chains(merged: &Value) -> Value {
    let mut m = merged.clone();
    m.as_object_mut().unwrap().remove("superseded");
    m["merge_state"].as_object_mut().unwrap().remove("chains");
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3, .. ProptestConfig::default() })]

    /// Issue 22: each host's log cut at random points into successive
    /// rotated files, a run with the host's `--state` after each, every
    /// run's summary merged in random order: the single run over the whole
    /// log, exactly (no `deferral_histories`): later runs supersede the
    /// earlier runs of their chain.
    #[test]
    fn merged_state_runs_of_rotated_host_logs_equal_the_single_run(
        cuts in proptest::collection::vec(proptest::collection::vec(0.02f64..0.98, 0..3), 3),
        seed in any::<u64>(),
    ) {
        let Some(c) = chained() else { return Ok(()) };
        let case = format!("case{seed:016x}");
        let mut parts: Vec<PathBuf> = (0..3).flat_map(|h| rotated_runs(c, &case, h, &cuts[h])).collect();
        // Any order: sorted by a hash of the name and the seed.
        parts.sort_by_key(|p| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (seed, p).hash(&mut h);
            h.finish()
        });
        let (merged, stderr) = merge(&parts, &[]);
        let est: Vec<&str> = merged["estimated"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e.as_str()).collect())
            .unwrap_or_default();
        prop_assert!(!est.contains(&"deferral_histories"), "{:?}", est);
        prop_assert!(!est.contains(&"missing_runs"), "{:?}", est);
        for k in ["totals", "by_domain", "by_cause", "deferred_outcomes", "by_hour", "unclassified", "by_host", "server_health"] {
            let mut w = exact_part(&c.whole, &merged)[k].clone();
            let mut m = exact_part(&merged, &merged)[k].clone();
            if est.contains(&"examples") {
                for v in [&mut w, &mut m] {
                    for row in v.as_array_mut().into_iter().flatten() {
                        row.as_object_mut().unwrap().remove("example");
                    }
                }
            }
            prop_assert_eq!(w, m, "{} differs", k);
        }
        assert_same_run(&c.whole, &without_chains(&merged));
        let earlier = parts.len() - 3;
        prop_assert_eq!(merged["superseded"].as_array().map_or(0, |a| a.len()), earlier);
        prop_assert_eq!(stderr.matches("superseded by").count(), earlier, "{}", stderr);
        prop_assert_eq!(merged["merge_state"]["chains"].as_object().unwrap().len(), 3);
    }
}

/// A chain's runs whose counts fall, two different summaries of one run, a
/// chain already held by a merged summary: refused (exit 2); the same
/// summary given twice is read once.
#[test]
fn chain_runs_that_do_not_follow_each_other_are_refused() {
    let Some(c) = chained() else { return };
    let runs = rotated_runs(c, "refused", 0, &[0.5]);
    let second: Value = read_json(&runs[1]);
    let write = |name: &str, v: &Value| {
        let p = c.dir.join(name);
        std::fs::write(&p, serde_json::to_vec(v).unwrap()).unwrap();
        p
    };
    let mut fell = second.clone();
    fell["totals"]["sent"] = 0.into();
    let mut other = second.clone();
    other["totals"]["sent"] = (n(&second["totals"]["sent"]) + 1).into();
    let (whole, _) = merge(&runs, &[]);
    let held = write("held.json", &whole);
    let cases = [
        (vec![runs[0].clone(), write("fell.json", &fell)], "counts 0 sent"),
        (
            vec![runs[1].clone(), write("other.json", &other)],
            "with other counts",
        ),
        (
            vec![held, runs[1].clone()],
            "give all of a chain's runs to one merge",
        ),
    ];
    for (inputs, says) in cases {
        let out = bounce_report().arg("merge").args(&inputs).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(says), "{says}: {stderr}");
    }
    let (twice, stderr) = merge(&[runs[0].clone(), runs[1].clone(), runs[1].clone()], &[]);
    assert_eq!(without_chains(&twice), without_chains(&whole));
    assert!(stderr.contains("read once"), "{stderr}");
    // Run 1 alone is missing from the chain: the merge says so.
    let (alone, _) = merge(&[runs[1].clone()], &[]);
    assert!(alone["estimated"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "missing_runs"));
}
