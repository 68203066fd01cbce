#!/usr/bin/env python3
"""Would a small linear n-gram model help as a FALLBACK for the rule catalogue?

Fallback policy: only where the rules say `undefined`; only if the model's top
probability >= threshold; never a hard cause (user_unknown, host_unknown,
not_accept, has_moved, suspend) -> abstain (variant A) or take the best soft
cause if it alone clears the threshold (variant B, "soft alternative").

Training: tests/data/replies.toml, rule `examples` of patterns/*.toml,
../shared/tools/replies.tsv (placeholders filled), split=dev rows of
the labelled outside sources (scripts/external: EXTERNAL/{sisimai,crisp,
bounceparser,zonemta,mautic}.tsv, those present) and of every
tests/data/qa*.toml. Evaluation (never trained on, texts never printed):
tests/data/heldout.toml, heldout-qa.toml, and the split=heldout rows of the
others.

--new TOML… judges sets at their first run: their held-out halves apart,
their dev rows left out of training. --committed-only trains on what the
repository holds (no generator templates, no outside TSVs), as a build could.

Needs scikit-learn (pip install scikit-learn); rules verdicts from a copy of the
binary (default target/release/bounce-report). Prints figures only.
"""
import os
import argparse, csv, glob, json, random, re, subprocess, sys, tomllib
from collections import Counter

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "scripts"))
from score_heldout import HARD, frozen_sets  # noqa: E402  (SPEC's hard causes and the frozen sets, one list each)
EXTERNAL = os.environ.get("EXTERNAL", os.path.join(REPO, "target", "external"))

# ---------------------------------------------------------------- loading
def load_toml_replies(path):
    d = tomllib.load(open(path, "rb"))
    return [(r["reply"], r["cause"]) for r in d["reply"]]

def load_tsv(path, split):
    out = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["split"] == split:
                out.append((row["reply"], row["cause"], row["source_id"]))
    return out

FILL = {
    "mx": ["mx1.example.net", "mail.example.org", "mx.mailhost.example.com", "inbound-smtp.example.co.uk"],
    "host": ["mx1.example.net", "smtp.example.org", "mail-in.example.com"],
    "ip": ["192.0.2.17", "203.0.113.45", "198.51.100.200", "2001:db8::25"],
    "myip": ["198.51.100.7"],
    "n": ["12345", "987654321", "42"],
    "rcpt": ["alice@example.net", "bob.smith@example.org", "j.doe@mail.example.com"],
    "domain": ["example.net", "example.org", "customer.example.com"],
    "local": ["alice", "bob.smith", "info"],
    "senderdomain": ["sender.example", "news.example.com"],
    "sender": ["noreply@sender.example", "bounce@news.example.com"],
}

def fill(template, rng):
    return re.sub(r"\{([a-z_]+)\}", lambda m: rng.choice(FILL.get(m.group(1), ["x" + m.group(1)])), template)

def training_set(rng, variants=2, committed_only=False, new=()):
    texts, labels, groups = [], [], []
    for i, (t, c) in enumerate(load_toml_replies(f"{REPO}/tests/data/replies.toml")):
        texts.append(t); labels.append(c); groups.append(f"replies#{i}")
    for f in sorted(glob.glob(f"{REPO}/patterns/*.toml")):
        for r in tomllib.load(open(f, "rb")).get("rule", []):
            for e in r.get("examples", []):
                texts.append(e); labels.append(r["cause"]); groups.append(f"rule:{r.get('id')}")
    with open(os.path.join(REPO, "..", "shared", "tools", "replies.tsv"), newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh, delimiter="\t")):
            for _ in range(0 if committed_only else variants):
                texts.append(fill(row["template"], rng)); labels.append(row["cause"]); groups.append(f"tsv#{i}")
    for name in TSV_SOURCES:
        p = os.path.join(EXTERNAL, name + ".tsv")
        if committed_only or not os.path.exists(p):
            continue
        for t, c, sid in load_tsv(p, "dev"):
            texts.append(t); labels.append(c); groups.append(sid.split("#")[0])
    for name in SPLIT_TOMLS:
        if name in new:
            continue
        for i, (t, c) in enumerate(load_toml_split(f"{REPO}/tests/data/{name}.toml", "dev")):
            texts.append(t); labels.append(c); groups.append(f"{name}#{i}")
    return texts, labels, groups


# Outside sources whose dev halves train the model and whose held-out halves
# judge it (those present under EXTERNAL), and the committed split files.
TSV_SOURCES = ("sisimai", "crisp", "bounceparser", "zonemta", "mautic")
SPLIT_TOMLS = tuple(label for label, _, split in frozen_sets() if split)  # qa2, qa3, … in order


def load_toml_split(path, split):
    d = tomllib.load(open(path, "rb"))
    return [(r["reply"], r["cause"]) for r in d["reply"] if r.get("split") == split]

def set_name(path):
    return os.path.basename(path).removesuffix(".toml")

def eval_sets(new_paths=()):
    """Every held-out set; those of `new_paths` (a new source at its first
    run, never trained on) first, marked (new)."""
    sets = {}
    for path in new_paths:
        h = load_toml_split(path, "heldout")
        sets[set_name(path) + " heldout (new)"] = ([t for t, _ in h], [y for _, y in h])
    new = {set_name(p) for p in new_paths}
    for name in ("heldout", "heldout-qa"):
        h = load_toml_replies(f"{REPO}/tests/data/{name}.toml")
        sets[name + ".toml"] = ([t for t, _ in h], [y for _, y in h])
    for name in SPLIT_TOMLS:
        if name in new:
            continue
        h = load_toml_split(f"{REPO}/tests/data/{name}.toml", "heldout")
        sets[name + " heldout"] = ([t for t, _ in h], [y for _, y in h])
    for name in TSV_SOURCES:
        p = os.path.join(EXTERNAL, name + ".tsv")
        if os.path.exists(p):
            s = load_tsv(p, "heldout")
            sets[name + " heldout"] = ([t for t, _, _ in s], [y for _, y, _ in s])
    return sets

# ---------------------------------------------------------------- rules
def rules_verdicts(binary, texts):
    inp = "".join(re.sub(r"[\r\n]+", " ", t) + "\n" for t in texts)
    out = subprocess.run([binary, "classify", "-f", "json", "--threads", "1"], input=inp,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    res = [json.loads(l)["cause"] for l in out if l.strip()]
    assert len(res) == len(texts), (len(res), len(texts))
    return res

# ---------------------------------------------------------------- normalising
RE_EMAIL = re.compile(r"<?[\w.+%=/!-]+@[\w.-]+>?")
RE_URL = re.compile(r"https?://\S+")
RE_IP4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
RE_IP6 = re.compile(r"\b(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}\b")
RE_SMTP = re.compile(r"(?:^|(?<=said:)|(?<=[\s(\[]))([245]\d\d)(?=[\s-]|$)")
RE_DSN = re.compile(r"(?<![\d.])#?([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)")
RE_HOST = re.compile(r"\b[a-z0-9_-]+(?:\.[a-z0-9_-]+)+\b")
RE_NUM = re.compile(r"\b[a-z_]*\d[\w-]*\b")
RE_CJK = re.compile(r"([\u3000-\u9fff\uac00-\ud7af\uff00-\uffef])")

def normalise(text):
    t = text.lower()
    t = RE_URL.sub(lambda m: " url " + re.sub(r"[^a-z]+", " ", m.group(0).split("?", 1)[-1] if "?" in m.group(0) else "") + " ", t)
    t = RE_EMAIL.sub(" addr ", t)
    t = RE_IP4.sub(" ip ", t)
    t = RE_IP6.sub(" ip ", t)
    codes = set()
    def dsn(m):
        a, b, c = m.groups()
        codes.add(f"dsn_{a}_{b}_{c}"); codes.add(f"dsn_{a}_{b}")
        return f" dsn_{a}_{b}_{c} "
    t = RE_DSN.sub(dsn, t)
    def smtp(m):
        codes.add(f"code_{m.group(1)}")
        return f" code_{m.group(1)} "
    t = RE_SMTP.sub(smtp, t)
    t = RE_HOST.sub(lambda m: m.group(0) if m.group(0).startswith(("dsn_", "code_")) else " host ", t)
    t = RE_NUM.sub(lambda m: m.group(0) if m.group(0).startswith(("dsn_", "code_")) else " num ", t)
    t = RE_CJK.sub(r" \1 ", t)
    words = re.findall(r"[\w]+", t)
    return " ".join(words) + " " + " ".join(sorted("x" + c for c in codes))  # extra bag of code tokens

def make_vec():
    return CountVectorizer(analyzer="word", token_pattern=r"\S+", ngram_range=(1, 2), binary=True, min_df=1)

def make_model(C):
    return LogisticRegression(C=C, max_iter=3000)

# ---------------------------------------------------------------- fallback
def fallback(rules, proba, classes, thr, variant="abstain"):
    """Returns the final causes."""
    out = []
    soft_idx = [i for i, c in enumerate(classes) if c not in HARD and c != "undefined"]
    for r, p in zip(rules, proba):
        if r != "undefined":
            out.append(r); continue
        k = int(np.argmax(p)); c = classes[k]
        if c == "undefined" or p[k] < thr:
            out.append(r); continue
        if c in HARD:
            if variant == "soft":
                j = max(soft_idx, key=lambda i: p[i])
                out.append(classes[j] if p[j] >= thr else r)
            else:
                out.append(r)
            continue
        out.append(c)
    return out

def tally(gold, rules, final):
    fixed = sum(1 for g, r, f in zip(gold, rules, final) if r != f and f == g)
    broken = sum(1 for g, r, f in zip(gold, rules, final) if r != f and r == g)
    relabel = sum(1 for g, r, f in zip(gold, rules, final) if r != f and f != g and r != g)
    return fixed, broken, relabel

def acc(gold, pred):
    return sum(g == p for g, p in zip(gold, pred)) / len(gold)

# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules-bin", default=os.path.join(REPO, "target", "release", "bounce-report"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--committed-only", action="store_true",
                    help="train only on what the repository holds (no generator templates, no outside TSVs)")
    ap.add_argument("--new", nargs="*", default=[], metavar="TOML",
                    help="also judge on the held-out halves of these sets, not yet frozen (their dev rows are not trained on)")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    X_txt, y, groups = training_set(rng, committed_only=args.committed_only,
                                    new={set_name(p) for p in args.new})
    Xn = [normalise(t) for t in X_txt]
    print(f"training texts: {len(Xn)}  causes: {len(set(y))}  groups: {len(set(groups))}")
    print("training label counts:", dict(Counter(y).most_common()))
    rules_train = rules_verdicts(args.rules_bin, X_txt)
    print(f"rules on training: acc {acc(y, rules_train):.3f}, undefined {rules_train.count('undefined')}")
    src = lambda g: g.split("#")[0].split(":")[0]
    for s_ in sorted(set(map(src, groups))):
        ii = [i for i, g in enumerate(groups) if src(g) == s_]
        print(f"   {s_:10s} n={len(ii):4d} rules acc {acc([y[i] for i in ii], [rules_train[i] for i in ii]):.3f} "
              f"rule-undefined {sum(rules_train[i]=='undefined' for i in ii)}")

    # ---- CV on TRAINING (grouped: all examples of one rule / one template in one fold)
    gkf = GroupKFold(n_splits=args.folds)
    best = None
    oof_by_C = {}
    for C in (1.0, 10.0, 100.0):
        classes = sorted(set(y))
        oof = np.zeros((len(y), len(classes)))
        for tr, te in gkf.split(Xn, y, groups):
            vec = make_vec(); A = vec.fit_transform([Xn[i] for i in tr])
            m = make_model(C).fit(A, [y[i] for i in tr])
            P = m.predict_proba(vec.transform([Xn[i] for i in te]))
            for ci, c in enumerate(m.classes_):
                oof[te, classes.index(c)] = P[:, ci]
        pred = [classes[k] for k in oof.argmax(1)]
        a = acc(y, pred)
        oof_by_C[C] = (classes, oof)
        print(f"CV (grouped {args.folds}-fold) model-alone acc, C={C:g}: {a:.3f}")
        if best is None or a > best[1]:
            best = (C, a)
    C = best[0]
    classes, oof = oof_by_C[C]
    print(f"chosen C={C:g}")

    # Threshold from CV on TRAINING: utility = fixed - broken - relabelled-wrong
    # on the out-of-fold predictions for the training texts the rules really
    # call `undefined` (a wrong label replacing an honest `undefined` counts
    # against even when accuracy is unchanged); ties -> the higher threshold,
    # then the same utility computed as if the rules said `undefined` on every
    # training text (shown as "all-as-undefined").
    pseudo_rules = ["undefined"] * len(y)
    und_idx = [i for i, r in enumerate(rules_train) if r == "undefined"]
    print("\nCV threshold sweep on TRAINING (abstain variant):")
    print("  thr  | all-as-undefined: accepted  prec   utility | real rule-undefined (n=%d): fixed broken relabel" % len(und_idx))
    sweep = [round(0.5 + 0.05 * i, 2) for i in range(10)]
    best_thr = None
    for thr in sweep:
        fin = fallback(pseudo_rules, oof, classes, thr)
        accepted = sum(f != "undefined" for f in fin)
        right = sum(f != "undefined" and f == g for f, g in zip(fin, y))
        util = right - (accepted - right)
        prec = right / accepted if accepted else float("nan")
        fr = fallback([rules_train[i] for i in und_idx], oof[und_idx], classes, thr)
        fx, br, rl = tally([y[i] for i in und_idx], [rules_train[i] for i in und_idx], fr)
        print(f"  {thr:.2f} | {accepted:5d}  {prec:.3f}  {util:5d}   | {fx:3d} {br:3d} {rl:3d}")
        util_real = fx - br - rl
        if best_thr is None or (util_real, util) >= (best_thr[1], best_thr[2]):
            best_thr = (thr, util_real, util)
    # also require precision >= 0.9 on accepted (a fallback label should be trustworthy)
    thr_p90 = None
    for thr in sweep:
        fin = fallback(pseudo_rules, oof, classes, thr)
        accepted = sum(f != "undefined" for f in fin)
        right = sum(f != "undefined" and f == g for f, g in zip(fin, y))
        if accepted and right / accepted >= 0.9:
            thr_p90 = thr; break
    thr = best_thr[0]
    print(f"chosen threshold (max CV utility on rule-undefined training texts): {thr:.2f};  lowest threshold with CV precision>=0.90: {thr_p90}")

    # ---- final model on all TRAINING
    vec = make_vec(); A = vec.fit_transform(Xn)
    model = make_model(C).fit(A, y)
    mclasses = [str(c) for c in model.classes_]
    print(f"features: {A.shape[1]}, classes: {len(mclasses)}")

    # ---- EVALUATION
    total = {t: [0, 0, 0] for t in sweep}  # abstain variant, summed over the sets
    n_all = n_und_all = 0
    for name, (texts, gold) in eval_sets(args.new).items():
        if not texts:
            continue  # a set kept as dev rows only
        rules = rules_verdicts(args.rules_bin, texts)
        P = model.predict_proba(vec.transform([normalise(t) for t in texts]))
        alone = [str(mclasses[k]) for k in P.argmax(1)]
        n_und = rules.count("undefined")
        gold_und = sum(1 for r, g in zip(rules, gold) if r == "undefined" and g == "undefined")
        print(f"\n== {name}: n={len(gold)}; rules say undefined on {n_und} (of which gold undefined {gold_und})")
        print(f"  rules alone           acc {acc(gold, rules):.3f}  ({sum(g==r for g,r in zip(gold,rules))}/{len(gold)})")
        print(f"  model alone           acc {acc(gold, alone):.3f}  ({sum(g==r for g,r in zip(gold,alone))}/{len(gold)})")
        und = [i for i, r in enumerate(rules) if r == "undefined"]
        if und:
            ug = [gold[i] for i in und]
            ua = [alone[i] for i in und]
            print(f"  model top-1 on the rule-undefined items: {sum(a==g for a,g in zip(ua,ug))}/{len(und)} right; "
                  f"gold there: {dict(Counter(ug))}; model top there (hard shown): {dict(Counter(ua))}")
            hp = [(ua[j], ug[j]) for j in range(len(und)) if ua[j] in HARD]
            print(f"  model says a HARD cause on {len(hp)} rule-undefined items, right on {sum(a==g for a,g in hp)}; "
                  f"gold is hard on {sum(g in HARD for g in ug)} (unreachable by the fallback); gold undefined {ug.count('undefined')}")
            print(f"  model top prob on rule-undefined items: {[round(float(P[i].max()),2) for i in und]}")
        for variant in ("abstain", "soft"):
            fin = fallback(rules, P, mclasses, thr, variant)
            fx, br, rl = tally(gold, rules, fin)
            print(f"  rules+fallback[{variant:7s}] thr={thr:.2f} acc {acc(gold, fin):.3f}  fixed {fx}, broken (gold undefined) {br}, relabelled wrong {rl}")
            if variant == "abstain":
                ch = [(g, f) for g, r, f in zip(gold, rules, fin) if r != f]
                print(f"    fixed causes: {dict(Counter(g for g, f in ch if g == f))}; wrong (gold->given): {dict(Counter(f'{g}->{f}' for g, f in ch if g != f))}")
        print("  sweep (abstain | soft):  thr  acc  fixed/broken/relabel")
        for t in sweep:
            row = []
            for variant in ("abstain", "soft"):
                fin = fallback(rules, P, mclasses, t, variant)
                fx, br, rl = tally(gold, rules, fin)
                row.append(f"{acc(gold, fin):.3f} {fx}/{br}/{rl}")
                if variant == "abstain":
                    total[t] = [a + b for a, b in zip(total[t], (fx, br, rl))]
            print(f"    {t:.2f}  {row[0]:>16s} | {row[1]:>16s}")
        n_all += len(gold)
        n_und_all += n_und
    print(f"\n== all sets: {n_all} held-out replies, {n_und_all} undefined by the rules; "
          f"abstain variant, fixed/broken/relabelled-wrong by threshold (chosen {thr:.2f}):")
    for t in sweep:
        print(f"    {t:.2f}  {total[t][0]}/{total[t][1]}/{total[t][2]}")

if __name__ == "__main__":
    main()
