#!/usr/bin/env python3
"""Labelled replies from Mail::DeliveryStatus::BounceParser's test suite.

    bounceparser_labels.py BOUNCEPARSER_GITDIR [-o OUT.tsv] [--keep-work]

BOUNCEPARSER_GITDIR is a bare git directory of
github.com/rjbs/Mail-DeliveryStatus-BounceParser (Perl, same terms as Perl
itself). Its t/corpus/*.msg are bounce emails from many MTAs; its t/*.t
call check_report(FILE, std_reason => ..., reason => ..., ...) from
t/TestBounceParser.pm, naming the standardized reason each bounce should
get.

The snapshot's files are written to a temporary directory and its
t/TestBounceParser.pm is replaced by a stand-in whose check_report does not
test anything: it parses FILE with the snapshot's own lib/ (as the real one
does, taking the first report) and prints, as one JSON line, the
expectations the test passed and that report's fields. Every t/*.t is run
so (perl -T -Ilib -It, from that directory). Needs Perl with MIME::Parser
(Debian: libmime-tools-perl) and JSON::PP (core).

Text: the report's "reason" (BounceParser's reply text: the DSN's
Diagnostic-Code without its "smtp;" type, or the text it found next to the
address), on one line; when the report has none, the "reason" the test
expects. Kept only when it holds a reply code (NNN or N.N.N) or is the
DSN's Diagnostic-Code: otherwise it is the bounce's own prose ("Hi. This
is the qmail-send program ...", "The message that you sent was
undeliverable to the following:").

Label: the std_reason the test expects (also when the check is marked
TODO, and t/message-too-large.t's misspelt "std_reaons", which its test
does not check but states), mapped by MAP. "spam" is documented as "the
recipient considered it spam": spam_detected. "domain_error" is given by
the parser and its tests to unknown hosts, timeouts, refused connections,
bad DNS replies and "relaying denied" alike, so it is dropped, as are
"unknown" and files whose test names no reason.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

MAP = {
    "user_unknown": "user_unknown",
    "over_quota": "mailbox_full",
    "user_disabled": "suspend",
    "message_too_large": "mesg_too_big",
    "spam": "spam_detected",
}
DROP = {"domain_error", "unknown", "no_problemo"}

SHIM = r'''package TestBounceParser;
use strict;
use warnings;
use Mail::DeliveryStatus::BounceParser;
use JSON::PP;
use Exporter 'import';
our @EXPORT = qw(readfile check_report);
sub readfile {
    my $fn = shift;
    open my $fh, '<', $fn or die "$fn: $!";
    local $/;
    my $text = <$fh>;
    close $fh;
    return $text;
}
sub check_report {
    my ($filename, %e) = @_;
    my $bounce = Mail::DeliveryStatus::BounceParser->new(readfile($filename));
    my ($report) = $bounce->reports;
    my %got;
    if ($report) {
        for my $k (qw(reason std_reason status smtp_code diagnostic-code)) {
            my $v = $report->get($k);
            $got{$k} = defined $v ? "$v" : undef;
        }
    }
    my %exp;
    for my $k (qw(std_reason std_reaons todo_std_reason reason smtp_code status is_bounce)) {
        $exp{$k} = defined $e{$k} ? "$e{$k}" : undef;
    }
    print STDOUT "BPLABEL " . JSON::PP->new->canonical->encode(
        { file => $filename, expect => \%exp, got => \%got,
          is_bounce => ($bounce->is_bounce ? 1 : 0) }) . "\n";
    return $bounce;
}
1;
'''

HAS_CODE = re.compile(r"(?<![\d.])([245]\d\d(?![\d.])|[245]\.\d{1,3}\.\d{1,3})")
TYPE = re.compile(r"^(?:smtp|x-postfix|x-local|x-unix)\s*;\s*", re.I)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gitdir", help="bare git dir of a rjbs/Mail-DeliveryStatus-BounceParser snapshot")
    ap.add_argument("-o", "--out", default=common.default_out("bounceparser"))
    ap.add_argument("--keep-work", action="store_true", help="keep the temporary directory")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="bounceparser-")
    try:
        tar = common.git(a.gitdir, "archive", "--format=tar", "HEAD", binary=True)
        subprocess.run(["tar", "-x", "-C", work], input=tar, check=True)
        with open(os.path.join(work, "t", "TestBounceParser.pm"), "w") as f:
            f.write(SHIM)
        records = []
        for t in sorted(os.listdir(os.path.join(work, "t"))):
            if not t.endswith(".t"):
                continue
            p = subprocess.run(["perl", "-T", "-Ilib", "-It", os.path.join("t", t)], cwd=work,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            for line in p.stdout.decode("utf-8", "replace").splitlines():
                if line.startswith("BPLABEL "):
                    r = json.loads(line[len("BPLABEL "):])
                    r["test"] = t
                    records.append(r)
    finally:
        if a.keep_work:
            print("work directory: " + work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    rows, dropped, seen_files = [], Counter(), set()
    for r in records:
        fn = os.path.basename(r["file"])
        if fn in seen_files:  # a file checked by two tests: the first
            dropped["file checked again by another test"] += 1
            continue
        seen_files.add(fn)
        e = r["expect"]
        reason = e.get("std_reason") or e.get("std_reaons")
        if not reason:
            dropped["test names no std_reason"] += 1
            continue
        if reason in DROP:
            dropped["std_reason %s" % reason] += 1
            continue
        if reason not in MAP:
            dropped["std_reason %s (not mapped)" % reason] += 1
            continue
        got = r.get("got") or {}
        text = common.one_line(got.get("reason") or "") or common.one_line(e.get("reason") or "")
        text = TYPE.sub("", text)
        if not text:
            dropped["no reply text"] += 1
            continue
        if not HAS_CODE.search(text) and not (got.get("diagnostic-code") or "").strip():
            print("dropped, no reply code and no Diagnostic-Code: %s: %s" % (fn, text[:100]), file=sys.stderr)
            dropped["text has no reply code, not from a Diagnostic-Code (bounce prose)"] += 1
            continue
        rows.append({"source_id": "bounceparser:" + re.sub(r"\.msg$", "", fn),
                     "cause": MAP[reason], "status": got.get("status") or e.get("status") or "",
                     "reply": text})
    before = len(rows)
    written = common.write_tsv(a.out, rows)
    dropped["duplicate (text, cause)"] += before - len(written)
    print("rjbs/Mail-DeliveryStatus-BounceParser@%s: %d checked files"
          % (common.head_commit(a.gitdir)[:12], len(records)), file=sys.stderr)
    print("wrote " + a.out, file=sys.stderr)
    common.summary(written, +dropped)


if __name__ == "__main__":
    main()
