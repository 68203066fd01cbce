"""Sisimai's reason phrases as a pattern file, for an experiment.

Reads lib/Sisimai/Reason/*.pm of a p5-sisimai snapshot (a bare git
directory), checks that the phrases chosen below are still there (those the
catalogue classified as `undefined` at 7e621c1 and whose Sisimai reason is
SPEC.md's cause for the same words) and writes them as one pattern file, by
default target/external/sisimai-phrases/sisimai.toml, to be loaded with
`--patterns DIR`. Nothing of Sisimai's is committed; the file written
carries its BSD-2 notice. README.md ("How accurate the catalogue is") gives
the result:

    python3 scripts/external/sisimai_phrases.py P5_GITDIR
    python3 scripts/score_heldout.py --patterns target/external/sisimai-phrases
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

PHRASES = {
 'user_unknown': ["address not present in directory","address unknown","destination addresses were unknown","email address could not be found","mailbox not present","nessun utente simile in questo indirizzo","no existe dicha persona","no existe ese usuario","no mail box available for this user","no such address here","no thank you rejected: account unavailable","not a valid user here","recipient address rejected: invalid-recipient","recipient address rejected: userunknown","recipient not exist","resolver.adr.recipient notfound","sorry, badrcptto","there is no one at this address","this email address is wrong or no longer valid","this recipient is in my badrecipientto list","this spectator does not exist","user not known","vdeliver: invalid or unknown virtual user","your envelope recipient is in my badrcptto list"],
 'mailbox_full': ["account is exceeding their quota","diskspace quota","does not have enough space","full mailbox","mailbox exceeded the local limit","maildir delivery failed: userdisk quota","maildir delivery failed: domaindisk quota","not enough storage space in","over the allowed quota","quota violation for","the user's space has been used up","would be over the allowed quota"],
 'suspend': ["is currently suspended","recipient rejected: temporarily inactive","recipient suspend the service"],
 'blocked': ["bad sender ip address","esmtp not accepting connections","host network not allowed","is in a black list","no access from mail server","not currently accepting mail from your ip","please use the smtp server of your isp","rejecting open proxy","sender ip address rejected","server access forbidden by your ip","to submit messages to this e-mail system has been rejected"],
 'bad_reputation': ["too many unwanted messages have been sent from the following ip address above"],
 'content_error': ["this message contain improperly-formatted binary content","this message contain text that uses unnecessary base64 encoding"],
 'host_unknown': ["recipient domain must exist"],
 'mesg_too_big': ["exceeded maximum inbound message size","max message size exceeded","message file too big"],
 'network_error': ["could not connect and send the mail to","host name lookup failure","malformed name server reply","maximum forwarding loop count exceeded","message looping","message probably in a routing loop","aliasing/forwarding loop broken","it would create a mail loop","loop was found in the mail exchanger"],
 'no_relaying': ["mail server requires authentication when attempting to send to a non-local e-mail address","no relaying","not a gateway","not allowed to relay through this machine","that domain isn't in my list of allowed rcpthost","this system is not configured to relay mail","we don't handle mail for"],
 'policy_violation': ["because the recipient is not accepting mail with","by non-member to a members-only list","closed mailing list","message bounced due to organizational settings","the email address used to send your message is not subscribed to this group","you're using a mass mailer"],
 'rejected': ["batv failed to verify","batv validation failure","backscatter protection detected an invalid or expired email address","because the sender isn't on the recipient's list of senders to accept mail from","bogus mail from","can't determine purported responsible address","denied [bouncedeny]","denied by secumail valid-address-filter","does not exist e2110","email address is on senderfilterconfig list","empty envelope senders not allowed","error: no third-party dsns","fully qualified email address required","is not a registered gateway user","message rejected: email address is not verified","recipient not accepted. (batv: no tag","returned mail not accepted here","rfc 1035 violation: recursive cname records for","rule imposed mailbox access for","sending this from a different address or alias using the","sender email address rejected","sender not pre-approved","sender was rejected","the message has been rejected by batv defense","transaction failed unsigned dsn for"],
 'require_ptr': ["the corresponding forward dns entry does not point to the sending ip","unresolvable relay host name"],
 'security_error': ["account not subscribed to ses","authentication credentials invalid","authentication turned on in your email client"],
 'spam_detected': ["message rejected because of unacceptable content","reject bulk.advertising","this message was rejected by recurrent pattern detection system","your message failed several antispam checks"],
 'speeding': ["please try again slower","has exceeded the max emails per hour"],
 'system_error': ["can't create user output file","interrupted system call","it encountered an error while being processed","local configuration error","mail system configuration error","recipient deferred because there is no mdb","remote server is misconfigured","server configuration error","system config error"],
}
REGEX = {
 'user_unknown': [r"\bno \S+ in name directory", r"\bnon-?existent user\b", r"\brcpt <[^>]*> does not exist", r"\bthis user doesn't have an? \S+ account", r"\bunknown e-?mail address\b", r"\bunknown local[- ]part\b", r"\buser \([^)]*\) unknown"],
 'blocked': [r"\bserver ip \S+ listed as abusive"],
 'policy_violation': [r"\byou have exceeded the \S+ allowable number of posts without solving a captcha"],
}

# An example reply for each regex (a rule needs one).
EXAMPLE = {
 r"\bno \S+ in name directory": "no bob in name directory",
 r"\bnon-?existent user\b": "non-existent user",
 r"\brcpt <[^>]*> does not exist": "RCPT <bob@example.com> does not exist",
 r"\bthis user doesn't have an? \S+ account": "This user doesn't have a example.com account",
 r"\bunknown e-?mail address\b": "Unknown e-mail address",
 r"\bunknown local[- ]part\b": "unknown local-part",
 r"\buser \([^)]*\) unknown": "User (bob@example.com) unknown",
 r"\bserver ip \S+ listed as abusive": "Server IP 198.51.100.7 listed as abusive",
 r"\byou have exceeded the \S+ allowable number of posts without solving a captcha": "You have exceeded the 10 allowable number of posts without solving a captcha",
}

TRANSIENT = {"speeding", "network_error", "system_error"}

HEADER = '''# Phrases of Sisimai's bounce reasons (lib/Sisimai/Reason/*.pm of
# sisimai/p5-sisimai, commit {commit}),
# taken where this catalogue had no rule for them (they classified as
# `undefined`) and where Sisimai's reason is the SPEC's cause for the same
# words. Left out: fragments too short to be evidence ("go away", "as a
# relay", "x-unix; "), providers' numeric codes without their words, phrases
# whose Sisimai reason differs from SPEC.md (every mail loop is
# network_error here, a system_error in Sisimai; "has exceeded the max
# emails per hour" is speeding here), and phrases too vague to decide a hard
# cause ("does not exist.", "can't accept user", "address rejected",
# "recipient is not accepted", "mail receiving disabled"). Priority 45:
# below this catalogue's exact phrases and word-order concepts, above the
# broad words and the DSN. Sisimai's own test suite (Source 1 of
# scripts/external/README.md) is no longer an outside measure for these
# phrases; the frozen held-out sets are.
#
# Copyright (c) 2014-2018, azumakuniyuki. All rights reserved.
# Redistribution and use in source and binary forms, with or without
# modification, are permitted provided that the following conditions are
# met: 1. Redistributions of source code must retain the above copyright
# notice, this list of conditions and the following disclaimer. 2.
# Redistributions in binary form must reproduce the above copyright notice,
# this list of conditions and the following disclaimer in the documentation
# and/or other materials provided with the distribution. THIS SOFTWARE IS
# PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS
# OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
# WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
# DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE
# LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
# CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
# SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
# INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
# CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
# ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
# POSSIBILITY OF SUCH DAMAGE.
'''


def example(cause, text):
    code = "451" if cause in TRANSIENT else "550"
    stage = "end of DATA" if cause in ("content_error", "spam_detected", "mesg_too_big") else "RCPT TO"
    return f"host mx.example.com[192.0.2.1] said: {code} {text} (in reply to {stage} command)"


def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sisimai_text(gitdir):
    """The quoted strings of every Reason module, lower case, joined."""
    parts = []
    for blob, _path in common.ls_tree(gitdir, "lib/Sisimai/Reason/"):
        src = common.git(gitdir, "cat-file", "blob", blob)
        parts += [a or b for a, b in re.findall(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"", src)]
    return "\n".join(parts).lower()


def pattern_file(commit):
    out = [HEADER.format(commit=commit)]
    for cause, phrases in PHRASES.items():
        out.append(f"\n[[rule]]\nid = \"sisimai.{cause}\"\ncause = \"{cause}\"\npriority = 45\nphrase = [\n")
        out += [f"  {q(p)},\n" for p in phrases]
        out.append("]\nexamples = [\n")
        out += [f"  {q(example(cause, p))},\n" for p in phrases]
        out.append("]\n")
    for cause, regexes in REGEX.items():
        for i, r in enumerate(regexes, 1):
            out.append(f"\n[[rule]]\nid = \"sisimai.{cause}_re{i}\"\ncause = \"{cause}\"\npriority = 45\n"
                       f"regex = '''{r}'''\nexamples = [{q(example(cause, EXAMPLE[r]))}]\n")
    return "".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gitdir", help="bare git directory of sisimai/p5-sisimai")
    ap.add_argument("-o", default=os.path.join("target", "external", "sisimai-phrases", "sisimai.toml"))
    args = ap.parse_args()
    commit = common.head_commit(args.gitdir)
    text = sisimai_text(args.gitdir)
    missing = [p for ps in PHRASES.values() for p in ps if p not in text]
    if missing:
        sys.exit(f"sisimai_phrases: not in the snapshot at {commit}: {missing}")
    os.makedirs(os.path.dirname(args.o), exist_ok=True)
    with open(args.o, "w") as fh:
        fh.write(pattern_file(commit))
    print(f"wrote {args.o}: {sum(map(len, PHRASES.values()))} phrases, {sum(map(len, REGEX.values()))} regexes")


if __name__ == "__main__":
    main()
