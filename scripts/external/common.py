"""Helpers shared by the external-source label scripts and score.py.

Python 3 standard library only. Nothing here reads or writes the project's
own sources; the scripts read a fetched repository snapshot (a bare git
directory) and write a labelled TSV under target/ (never committed).
"""
import hashlib
import os
import re
import subprocess
import sys

TSV_COLUMNS = ["source_id", "split", "cause", "status", "reply"]

# The causes of SPEC.md ("Causes"): Sisimai's reasons in snake_case plus greylisted.
CAUSES = {
    "user_unknown", "mailbox_full", "has_moved", "host_unknown", "no_relaying",
    "not_accept", "suspend", "blocked", "bad_reputation", "require_ptr",
    "policy_violation", "spam_detected", "virus_detected", "content_error",
    "mesg_too_big", "exceed_limit", "rejected", "auth_failure", "security_error",
    "failed_starttls", "too_many_conn", "speeding", "greylisted", "network_error",
    "system_error", "system_full", "expired", "syntax_error", "not_compliant_rfc",
    "mailer_error", "on_hold", "vacation", "undefined",
}

_WS = re.compile(r"\s+")


def one_line(text):
    """A text as one line: every run of whitespace (newline, tab, CR) one space."""
    return _WS.sub(" ", text or "").strip()


def normalize(text):
    """The text the split is decided on: one line, lower case."""
    return one_line(text).lower()


_ADDR = re.compile(r"<?[\w.+=-]+@[\w.-]+>?")
_IP = re.compile(r"\[?\b(?:\d{1,3}\.){3}\d{1,3}\b\]?|\[?[0-9a-f]*:[0-9a-f:]+:[0-9a-f:]*\]?")
_HOST = re.compile(r"\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b")
_DIGITS = re.compile(r"\d+")
_WRAP = re.compile(r"(?:said|refused to talk to me):\s*(.*?)(?:\s*\(in reply to [^)]*\))?\s*$", re.S)
_STRING = re.compile(r'"((?:[^"\\]|\\.){12,})"')
_WORD = re.compile(r"[a-z]{3,}")


def shape(text):
    """A reply's shape: lower case; addresses, IP addresses, host names and
    digit runs masked; white space collapsed. Two replies of one shape are
    one wording."""
    t = text.lower()
    t = _ADDR.sub("@", t)
    t = _IP.sub("#", t)
    t = _HOST.sub("~", t)
    t = _DIGITS.sub("0", t)
    return _WS.sub(" ", t).strip()


def shapes(text):
    """The shape of the whole text and, inside a Postfix wrapper ("host X[IP]
    said: ... (in reply to ... command)"), of the remote reply."""
    out = {shape(text)}
    m = _WRAP.search(text)
    if m and m.group(1).strip():
        out.add(shape(m.group(1)))
    return out


def reply_core(text):
    """The remote reply inside a Postfix wrapper, else the whole text."""
    m = _WRAP.search(text)
    return m.group(1) if m and m.group(1).strip() else text


def word_set(text):
    """The words of 3+ letters of a reply (inside a Postfix wrapper, of the
    remote reply), addresses and host names left out."""
    t = _ADDR.sub(" ", reply_core(text).lower())
    return set(_WORD.findall(_HOST.sub(" ", t)))


def toml_replies(path, split=None):
    """The `reply` texts of a TOML test file (tests/data/*.toml); with
    `split`, only that half's, an entry without a `split` field counting as
    held out (the frozen sets have none)."""
    import tomllib

    with open(path, "rb") as f:
        entries = tomllib.load(f).get("reply", [])
    return [e["reply"] for e in entries if split is None or e.get("split", "heldout") == split]


def tsv_rows(path):
    """The rows of a labelled TSV (target/external/*.tsv) that hold a reply."""
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f, delimiter="\t") if r.get("reply")]


def is_frozen(name):
    """Whether a file of tests/data holds a frozen held-out set or half."""
    return name in ("heldout.toml", "heldout-qa.toml") or re.fullmatch(r"qa\d+\.toml", name) is not None


def pattern_strings(root):
    """Every quoted string of 12+ characters in patterns/*.toml: the rules'
    examples and their longer phrases."""
    import glob

    out = []
    for path in sorted(glob.glob(os.path.join(root, "patterns", "*.toml"))):
        with open(path, encoding="utf-8") as f:
            out += _STRING.findall(f.read())
    return out


def seen_shapes(root):
    """The shapes of every text a rule may have been written from: the probes
    (tests/data/*-texts.toml), tests/data/replies.toml, the dev halves of the
    outside sets (tests/data/qa*.toml, target/external/*.tsv when present) and
    the strings of patterns/*.toml (the rules' examples). Returns the set and
    the number of TSVs found."""
    import glob

    seen = set()
    data = os.path.join(root, "tests", "data")
    texts = []
    for path in glob.glob(os.path.join(data, "*-texts.toml")) + [os.path.join(data, "replies.toml")]:
        texts += toml_replies(path)
    for path in glob.glob(os.path.join(data, "qa*.toml")):
        texts += toml_replies(path, "dev")
    tsvs = glob.glob(os.path.join(root, "target", "external", "*.tsv"))
    for path in tsvs:
        texts += [r["reply"] for r in tsv_rows(path) if r.get("split") == "dev"]
    for t in texts + pattern_strings(root):
        seen |= shapes(t)
    return seen, len(tsvs)


def split_of(reply):
    """Frozen by rule: sha256 of the normalized reply; first byte even -> heldout."""
    digest = hashlib.sha256(normalize(reply).encode("utf-8")).digest()
    return "heldout" if digest[0] % 2 == 0 else "dev"


def git(gitdir, *args, binary=False):
    out = subprocess.run(["git", "--git-dir", gitdir, *args],
                         check=True, stdout=subprocess.PIPE)
    return out.stdout if binary else out.stdout.decode("utf-8", "replace")


def head_commit(gitdir):
    return git(gitdir, "rev-parse", "HEAD").strip()


def ls_tree(gitdir, prefix=""):
    """(blob id, path) of every file under prefix at HEAD."""
    args = ["ls-tree", "-r", "HEAD"] + ([prefix] if prefix else [])
    rows = []
    for line in git(gitdir, *args).splitlines():
        meta, path = line.split("\t", 1)
        _mode, kind, blob = meta.split()
        if kind == "blob":
            rows.append((blob, path))
    return rows


def default_out(name):
    root = subprocess.run(["git", "rev-parse", "--show-toplevel"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    base = root.stdout.decode().strip() if root.returncode == 0 else os.getcwd()
    return os.path.join(base, "target", "external", name + ".tsv")


def write_tsv(path, rows):
    """rows: dicts with TSV_COLUMNS but split. Deduplicates identical
    (reply, cause) rows, keeping the first source_id; returns the rows written."""
    seen = set()
    out = []
    for r in rows:
        reply = one_line(r["reply"])
        key = (normalize(reply), r["cause"])
        if key in seen:
            continue
        seen.add(key)
        if r["cause"] not in CAUSES:
            raise SystemExit("not a cause of SPEC.md: %r" % r["cause"])
        out.append({"source_id": r["source_id"], "split": split_of(reply),
                    "cause": r["cause"], "status": r.get("status") or "",
                    "reply": reply})
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\t".join(TSV_COLUMNS) + "\n")
        for r in out:
            f.write("\t".join(one_line(r[c]) for c in TSV_COLUMNS) + "\n")
    return out


def summary(rows, dropped, stream=sys.stderr):
    from collections import Counter
    by_split = Counter(r["split"] for r in rows)
    by_cause = Counter(r["cause"] for r in rows)
    print("rows: %d (dev %d, heldout %d)" % (len(rows), by_split["dev"], by_split["heldout"]), file=stream)
    print("causes: " + ", ".join("%s %d" % kv for kv in by_cause.most_common()), file=stream)
    if dropped:
        print("dropped: " + ", ".join("%s %d" % kv for kv in dropped.most_common()), file=stream)
