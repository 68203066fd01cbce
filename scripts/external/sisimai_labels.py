#!/usr/bin/env python3
"""Labelled replies from Sisimai's own test suite.

    sisimai_labels.py P5_SISIMAI_GITDIR [--emails SET_OF_EMAILS_GITDIR]
                      [--parser snapshot|system] [-o OUT.tsv]

P5_SISIMAI_GITDIR is a bare git directory of github.com/sisimai/p5-sisimai.
Its t/*.t files list, per sample email, what Sisimai's test suite expects of
each bounced recipient: [status, reply code, reason, hardbounce]. The sample
emails are set-of-emails/maildir/bsd/ of the same snapshot (the set-of-emails
repository, vendored at the version the tests were written for), or, with
--emails, maildir/bsd/ of a set-of-emails snapshot (joined by file name).

Each email is decoded with Sisimai (Perl) to get each recipient's
diagnosticcode, smtpcommand and replycode; recipient N of an email is joined
with the N-th expectation of that email, as the test suite does. Each is
written as Postfix logs a remote reply:

    host mx.example.net[192.0.2.1] said: DIAG (in reply to CMD command)
    host mx.example.net[192.0.2.1] refused to talk to me: DIAG    (CONN)
    DIAG                                                         (no command)

except that a diagnostic already in Postfix's form (Sisimai keeps Postfix's
own text for Postfix bounces: "host X said: ... (in reply to ...)",
"connect to ...", "delivery temporarily suspended: ...") is used as it is,
and Exim's wrapper ("SMTP error from remote mail server after CMD: host H
[IP]: ") is cut off the front of the remote's reply.

--parser snapshot (default) runs the lib/ of the same p5-sisimai snapshot
(needs the Perl modules JSON and Class::Accessor::Lite: Debian's
libjson-perl and libclass-accessor-lite-perl, both pulled in by
libsisimai-perl); --parser system uses the installed Sisimai (Debian's
libsisimai-perl, 4.25 on bookworm: older than the tests, so some emails
decode differently or not at all).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# Sisimai reason -> cause of SPEC.md. Reasons not here are dropped (see DROP).
REASON_MAP = {
    "userunknown": "user_unknown", "hostunknown": "host_unknown",
    "mailboxfull": "mailbox_full", "mesgtoobig": "mesg_too_big",
    "exceedlimit": "exceed_limit", "systemerror": "system_error",
    "systemfull": "system_full", "networkerror": "network_error",
    "notaccept": "not_accept", "norelaying": "no_relaying",
    "securityerror": "security_error", "policyviolation": "policy_violation",
    "contenterror": "content_error", "spamdetected": "spam_detected",
    "virusdetected": "virus_detected", "badreputation": "bad_reputation",
    "requireptr": "require_ptr", "toomanyconn": "too_many_conn",
    "authfailure": "auth_failure", "failedstarttls": "failed_starttls",
    "hasmoved": "has_moved", "syntaxerror": "syntax_error",
    "notcompliantrfc": "not_compliant_rfc", "mailererror": "mailer_error",
    "blocked": "blocked", "suspend": "suspend", "rejected": "rejected",
    "speeding": "speeding", "expired": "expired",
}
# Not failures, or no cause: dropped as the brief says. "filtered" and
# "emptyaddress" have no cause of that name in SPEC.md and map to none
# one-to-one, so they are dropped too (counted on stderr).
DROP = {"delivered", "feedback", "vacation", "onhold", "undefined",
        "filtered", "emptyaddress"}

COMMANDS = {"RCPT": "RCPT TO", "MAIL": "MAIL FROM", "DATA": "end of DATA",
            "HELO": "EHLO", "EHLO": "EHLO"}
HOST = "host mx.example.net[192.0.2.1]"

# Texts that are Sisimai's own words, not a remote's reply (no information
# about the cause is in them).
PLACEHOLDERS = re.compile(r"^(?:sisimai|x-unix;?\s*$|smtp;?\s*$)", re.I)

PERL = r'''
use strict; use warnings;
use JSON;
binmode STDOUT, ':raw';
# Sisimai's strings are mostly undecoded bytes: give them out as bytes,
# encoding to UTF-8 only the ones Perl holds as characters.
my $json = JSON->new->canonical(1)->utf8(0);
sub bytes_of { my $s = '' . ($_[0] // ''); utf8::encode($s) if utf8::is_utf8($s); return $s; }
my $v5 = eval { require Sisimai::Fact; 1 };
require Sisimai::Mail;
if (!$v5) { require Sisimai::Message; require Sisimai::Data; }
my $dir = shift @ARGV;
open(my $list, '<', "$dir/list") or die $!;
while (my $name = <$list>) {
    chomp $name;
    my $path = "$dir/eml/$name";
    my $mail = Sisimai::Mail->new($path);
    my $i = 0;
    if (!$mail) { print $json->encode({file => $name, error => 'open'}), "\n"; next; }
    while (my $r = $mail->data->read) {
        my $facts;
        if ($v5) {
            $facts = eval { Sisimai::Fact->rise({data => $r, delivered => 1, vacation => 1, origin => $path}) };
        } else {
            my $m = eval { Sisimai::Message->new(data => $r) };
            $facts = $m ? eval { Sisimai::Data->make(data => $m, delivered => 1, origin => $path) } : undef;
        }
        for my $f (@{ $facts || [] }) {
            $i++;
            print $json->encode({
                file => $name, i => $i,
                diagnosticcode => bytes_of($f->diagnosticcode),
                smtpcommand => bytes_of($f->smtpcommand),
                replycode => bytes_of($f->replycode),
                deliverystatus => bytes_of($f->deliverystatus),
                reason => bytes_of($f->reason),
            }), "\n";
        }
    }
    print $json->encode({file => $name, error => 'nothing decoded'}), "\n" unless $i;
}
'''


def expectations(p5):
    """{email file name: [(status, replycode, reason), ...]} from t/*.t."""
    out = {}
    for _blob, path in common.ls_tree(p5, "t/"):
        if not path.endswith(".t"):
            continue
        text = common.git(p5, "show", "HEAD:" + path)
        m = re.search(r"my \$enginename\s*=\s*'([^']+)'", text)
        block = re.search(r"my \$isexpected\s*=\s*\{(.*?)\n\};", text, re.S)
        if not m or not block:
            continue
        engine = m.group(1)
        if engine in ("ARF", "RFC3464", "RFC3834"):
            prefix = ""
        elif "-rhost-" in path:
            prefix = "rhost-"
        else:
            prefix = "lhost-"
        key = None
        for line in block.group(1).splitlines():
            line = line.split("#", 1)[0]
            for tok in re.finditer(r"'(\d+)'\s*=>|\[\s*'([^']*)'\s*,\s*'([^']*)'\s*,\s*'([^']*)'", line):
                if tok.group(1):
                    key = "%s%s-%02d.eml" % (prefix, engine.lower(), int(tok.group(1)))
                    out.setdefault(key, [])
                elif key:
                    out[key].append((tok.group(2), tok.group(3), tok.group(4)))
    return out


# A diagnostic that already is a Postfix status text (Sisimai keeps Postfix's
# own wording for Postfix bounces) is used as it is, not wrapped again.
POSTFIX_FORM = re.compile(
    r"^(?:host \S+ (?:said|refused to talk to me):|delivery temporarily suspended:|"
    r"connect to \S+|lost connection with |conversation with |"
    r"Host or domain name not found|Name service error )|\(in reply to [^()]* command\)$")
# Exim's wrapper around a remote reply ("SMTP error from remote mail server
# after RCPT TO:<a@b>: host mx.example [192.0.2.1]: 550 ..."): Postfix would
# log only the reply, so the wrapper is cut off.
EXIM_WRAPPER = re.compile(
    r"^(?:\(ultimately generated from \S+\) )?(?:<[^>]*> )?(?:host \S+ \[[^\]]*\] )?(?:Delay reason: )?"
    r"SMTP error from remote (?:mail server|mailer) after (?:[^:]*?: ?<[^>]*>[^:]*|[^:]*): "
    r"(?:host \S+ \[[^\]]*\]: )?")


def reply_of(diag, command):
    diag = common.one_line(diag)
    if POSTFIX_FORM.search(diag):
        return diag
    diag = EXIM_WRAPPER.sub("", diag)
    cmd = command.upper()
    if cmd == "CONN":
        return "%s refused to talk to me: %s" % (HOST, diag)
    if cmd:
        return "%s said: %s (in reply to %s command)" % (HOST, diag, COMMANDS.get(cmd, cmd))
    return diag


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("p5", help="bare git dir of a sisimai/p5-sisimai snapshot")
    ap.add_argument("--emails", help="bare git dir of a sisimai/set-of-emails snapshot "
                    "(default: the set-of-emails/ inside the p5-sisimai snapshot)")
    ap.add_argument("--parser", choices=["snapshot", "system"], default="snapshot")
    ap.add_argument("-o", "--out", default=common.default_out("sisimai"))
    a = ap.parse_args()

    expected = expectations(a.p5)
    if a.emails:
        tree, prefix, src = a.emails, "maildir/bsd/", "set-of-emails@" + common.head_commit(a.emails)[:12]
    else:
        tree, prefix, src = a.p5, "set-of-emails/maildir/bsd/", "p5-sisimai@" + common.head_commit(a.p5)[:12]
    blobs = {p[len(prefix):]: b for b, p in common.ls_tree(tree, prefix) if p.startswith(prefix)}
    names = sorted(n for n in expected if n in blobs)
    missing = sorted(n for n in expected if n not in blobs)
    print("%s: %d emails with expectations, %d of them found, p5-sisimai %s"
          % (src, len(expected), len(names), common.head_commit(a.p5)[:12]), file=sys.stderr)
    if missing:
        print("no such email: " + " ".join(missing), file=sys.stderr)

    dropped = Counter()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "eml"))
        for n in names:
            with open(os.path.join(tmp, "eml", n), "wb") as f:
                f.write(common.git(tree, "cat-file", "blob", blobs[n], binary=True))
        with open(os.path.join(tmp, "list"), "w") as f:
            f.write("\n".join(names) + "\n")
        cmd = ["perl"]
        if a.parser == "snapshot":
            lib = os.path.join(tmp, "p5")
            os.makedirs(lib)
            arch = subprocess.run(["git", "--git-dir", a.p5, "archive", "HEAD", "lib"],
                                  check=True, stdout=subprocess.PIPE).stdout
            subprocess.run(["tar", "-x", "-C", lib], input=arch, check=True)
            cmd += ["-I", os.path.join(lib, "lib")]
        cmd += ["-e", PERL, tmp]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout.decode("utf-8", "replace")

    facts = defaultdict(list)
    for line in out.split("\n"):
        if not line:
            continue
        d = json.loads(line)
        if "error" in d:
            dropped["email not decoded"] += 1
            continue
        facts[d["file"]].append(d)

    for n in names:
        exp, got = expected[n], facts.get(n, [])
        if got and len(got) != len(exp):
            dropped["recipient count differs from the test (email skipped)"] += len(exp)
            print("%s: %d recipients decoded, the test expects %d: skipped"
                  % (n, len(got), len(exp)), file=sys.stderr)
            continue
        for i, (fact, (status, code, reason)) in enumerate(zip(got, exp), 1):
            if reason in DROP:
                dropped["reason " + reason] += 1
                continue
            if reason not in REASON_MAP:
                dropped["reason " + reason + " (no mapping)"] += 1
                continue
            diag = common.one_line(fact["diagnosticcode"])
            if not diag:
                dropped["empty diagnostic"] += 1
                continue
            if PLACEHOLDERS.match(diag):
                dropped["placeholder diagnostic"] += 1
                continue
            if fact["reason"] != reason:
                dropped["(kept) this parser's reason differs from the test's"] += 1
            rows.append({"source_id": "sisimai:%s#%d" % (n[:-4], i),
                         "cause": REASON_MAP[reason], "status": status,
                         "reply": reply_of(diag, fact["smtpcommand"])})
    before = len(rows)
    written = common.write_tsv(a.out, rows)
    dropped["duplicate (text, cause)"] += before - len(written)
    print("wrote " + a.out, file=sys.stderr)
    common.summary(written, dropped)


if __name__ == "__main__":
    main()
