#!/usr/bin/env python3
"""Writes a Postfix log with many distinct keys, for `benches/keys.sh`.

    benches/gen-keys.py --shape recipients --events 1000000 > maillog

Every message is one qmgr `from=` line and one `status=bounced` (or, one in
four, `status=deferred`) line, a second apart. Shapes:

  recipients    1M distinct recipients at 1,000 domains, 100 senders
  domains       every recipient at a domain of its own
  senders       every message from a sender of its own, 1,000 domains
  unclassified  every reply a text no rule knows, distinct in its words
                (not only in numbers, which the grouping masks)

Hard bounces are `550 5.1.1 ... User unknown` so that `suppress` lists
every recipient. Deterministic.
"""
import argparse
import sys

WORDS = ["amber", "basil", "cedar", "delta", "ember", "fjord", "garnet", "harbor",
         "indigo", "juniper", "kelp", "lumen", "marble", "nectar", "onyx", "pepper"]


def word(n: int) -> str:
    """n spelled in the 16 words: distinct n, distinct text, no digits."""
    out = []
    while True:
        out.append(WORDS[n % 16])
        n //= 16
        if n == 0:
            return "-".join(out)


def qid(n: int) -> str:
    return "4" + format(n, "011X")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", choices=["recipients", "domains", "senders", "unclassified"], required=True)
    ap.add_argument("--events", type=int, default=1_000_000)
    a = ap.parse_args()
    w = sys.stdout.write
    t0 = 1_763_683_200  # 2025-11-21T00:00:00Z
    import time
    for i in range(a.events):
        t = time.strftime("%b %d %H:%M:%S", time.gmtime(t0 + i // 20))
        q = qid(i)
        sender = f"s{i}@send{i % 50}.example.net" if a.shape == "senders" else f"news{i % 100}@example.net"
        if a.shape == "domains":
            dom = f"d{i}.example.org"
        else:
            dom = f"dom{i % 1000}.example.org"
        rcpt = f"user{i}@{dom}"
        w(f"{t} mx1 postfix/qmgr[1067]: {q}: from=<{sender}>, size=1234, nrcpt=1 (queue active)\n")
        relay = f"mx.{dom}[192.0.2.{i % 250 + 1}]:25"
        if a.shape == "unclassified":
            status, dsn = "bounced", "5.0.0"
            reply = f"host mx.{dom}[192.0.2.1] said: 550 the {word(i)} gate stays shut (in reply to end of DATA command)"
        elif i % 4 == 3:
            status, dsn = "deferred", "4.7.1"
            reply = f"host mx.{dom}[192.0.2.1] said: 450 4.7.1 Greylisted, please try again later (in reply to RCPT TO command)"
        else:
            status, dsn = "bounced", "5.1.1"
            reply = f"host mx.{dom}[192.0.2.1] said: 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)"
        w(f"{t} mx1 postfix/smtp[2{i % 1000:03d}]: {q}: to=<{rcpt}>, relay={relay}, delay=1.2, "
          f"delays=0.1/0/0.5/0.6, dsn={dsn}, status={status} ({reply})\n")
        if status == "bounced":
            w(f"{t} mx1 postfix/qmgr[1067]: {q}: removed\n")


if __name__ == "__main__":
    main()
