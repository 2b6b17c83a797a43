#!/usr/bin/env python3
"""Score Warden's masking detectors and Microsoft Presidio on a labelled set from generate.py.

Setup and run (from the repository root; Python 3.10+):

    python3 -m venv .venv && .venv/bin/pip install -r scripts/mask-eval/requirements.txt
    .venv/bin/python scripts/mask-eval/generate.py --out /tmp/mask-eval.jsonl
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
    .venv/bin/python scripts/mask-eval/evaluate.py /tmp/mask-eval.jsonl

Warden: builds `cargo build --release -p warden-mask --example mask_lines` (skip with
--no-build) and runs $CARGO_TARGET_DIR/release/examples/mask_lines over the set, then
`mask_lines --bench` over the texts joined by newlines.

Presidio: presidio-analyzer's AnalyzerEngine, English recognizers, default settings
(score_threshold 0, default phone regions), asked only for the entity types that map to Warden's
(EMAIL_ADDRESS, CREDIT_CARD, US_SSN, PHONE_NUMBER, IBAN_CODE, IP_ADDRESS). Its NLP engine is the
first installed of --spacy-model (default: en_core_web_lg, en_core_web_md, en_core_web_sm);
with none installed, a blank English spaCy pipeline (tokenizer only, no NER, no lemmas) through
a custom SpacyNlpEngine, which is enough for the pattern recognizers compared here. Presidio has
no recognizer for aws_key, jwt, private_key and api_token: those rows say n/a. Every text is
analysed as language "en". tldextract (used by Presidio's email recognizer) is pointed at
the Public Suffix List snapshot it ships, so nothing is downloaded. If Presidio cannot be
imported or started, the reason is printed and only Warden's figures are given.

Span matching (both tools): overlapping predictions of the same entity are merged first. A
prediction and a gold span match when they have the same entity and share at least one code
point. Recall = gold spans matched by some prediction / gold spans; precision = predictions
that match some gold span / predictions; F1 their harmonic mean. "exact" is the share of gold
spans that some prediction covers with exactly the same boundaries. A prediction of entity A on a
gold span of entity B counts as a false positive of A and does not help B's recall.

Throughput: MB = 10^6 UTF-8 bytes, one thread. Warden: median of 5 runs of `mask_lines
--bench` (all ten detectors). Presidio: total bytes of the texts analysed / total time of the
analyze() calls (after one warm-up call), one process; --presidio-limit N analyses only every
k-th record so that N are done (accuracy and speed are then on that sample, and the output says
so).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ENTITIES = [
    "email", "card", "ssn", "phone", "iban", "ip", "aws_key", "jwt", "private_key", "api_token",
]
PRESIDIO_MAP = {
    "EMAIL_ADDRESS": "email",
    "CREDIT_CARD": "card",
    "US_SSN": "ssn",
    "PHONE_NUMBER": "phone",
    "IBAN_CODE": "iban",
    "IP_ADDRESS": "ip",
}
REPO = Path(__file__).resolve().parents[2]


# ---- Warden ---------------------------------------------------------------------------------
def warden_binary(build: bool) -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    binary = target / "release" / "examples" / "mask_lines"
    if build:
        cmd = ["cargo", "build", "--release", "-p", "warden-mask", "--example", "mask_lines"]
        print(f"$ {' '.join(cmd)}", file=sys.stderr)
        subprocess.run(cmd, cwd=REPO, check=True)
    if not binary.exists():
        sys.exit(f"{binary} not found: build it or drop --no-build")
    return binary


def warden_predict(binary: Path, texts: list[str]) -> list[list[tuple[str, int, int]]]:
    stdin = "".join(json.dumps({"text": t}) + "\n" for t in texts)
    out = subprocess.run([str(binary)], input=stdin, capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    if len(lines) != len(texts):
        sys.exit(f"mask_lines printed {len(lines)} lines for {len(texts)} inputs")
    preds = []
    for line in lines:
        obj = json.loads(line)
        if obj.get("error"):
            sys.exit(f"mask_lines: {obj['error']}")
        preds.append([(f["entity"], f["start"], f["end"]) for f in obj["findings"]])
    return preds


def warden_bench(binary: Path, texts: list[str]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(texts) + "\n")
        path = f.name
    try:
        out = subprocess.run([str(binary), "--bench", path], capture_output=True, text=True,
                             check=True).stdout
    finally:
        os.unlink(path)
    rates = {}
    for line in out.splitlines():
        m = re.match(r"(.+?)\s+([\d.]+) MB/s", line)
        if m:
            rates[m.group(1).strip()] = float(m.group(2))
    return rates


# ---- Presidio -------------------------------------------------------------------------------
def presidio_engine(models: list[str]):
    """The analyzer and a description of its NLP setup; raises with the reason on failure."""
    import spacy
    import tldextract.tldextract as tld
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    import presidio_analyzer

    version = getattr(presidio_analyzer, "__version__", None)
    if version is None:
        from importlib.metadata import version as pkg_version
        version = pkg_version("presidio-analyzer")
    installed = [m for m in models if spacy.util.is_package(m)]
    if installed:
        model = installed[0]
        engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
        setup = f"spaCy model {model}"
    else:
        class BlankSpacyNlpEngine(SpacyNlpEngine):
            """spacy.blank("en"): a tokenizer only, nothing to download."""

            def load(self) -> None:
                self.nlp = {"en": spacy.blank("en")}

        engine = BlankSpacyNlpEngine()
        setup = (f"blank spaCy pipeline spacy.blank(\"en\") (no spaCy model installed: tried "
                 f"{', '.join(models)}); pattern recognizers only, no NER, no lemmas for "
                 f"context words")
    engine.load()
    # Presidio's email recognizer checks domains with tldextract, which would try to download
    # the Public Suffix List on first use; use the snapshot the package ships instead.
    tld.TLD_EXTRACTOR = tld.TLDExtract(suffix_list_urls=(), cache_dir=None)
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
    supported = set(analyzer.get_supported_entities(language="en"))
    entities = [p for p in PRESIDIO_MAP if p in supported]
    setup = (f"presidio-analyzer {version}, spaCy {spacy.__version__}, {setup}; "
             f"entities asked: {', '.join(entities)}")
    return analyzer, entities, setup


def presidio_predict(analyzer, entities, texts):
    analyzer.analyze(text="warm-up 192.0.2.1 a@example.com", language="en", entities=entities)
    preds, elapsed = [], 0.0
    for t in texts:
        start = time.perf_counter()
        results = analyzer.analyze(text=t, language="en", entities=entities)
        elapsed += time.perf_counter() - start
        preds.append([(PRESIDIO_MAP[r.entity_type], r.start, r.end, r.score) for r in results
                      if r.entity_type in PRESIDIO_MAP])
    return preds, elapsed


# ---- scoring --------------------------------------------------------------------------------
def merge(preds: list[tuple]) -> list[tuple[str, int, int]]:
    """Merge overlapping predictions of the same entity."""
    out: list[list] = []
    for ent, s, e in sorted((p[0], p[1], p[2]) for p in preds):
        if out and out[-1][0] == ent and s < out[-1][2]:
            out[-1][2] = max(out[-1][2], e)
        else:
            out.append([ent, s, e])
    return [tuple(x) for x in out]


def overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def score(records: list[dict], preds: list[list[tuple]]) -> dict:
    """Per-entity counts, per-format recall and false-positive sources."""
    stats = {e: Counter() for e in ENTITIES}
    formats: dict[tuple[str, str], Counter] = defaultdict(Counter)
    fp_sources: dict[tuple[str, str], list] = defaultdict(list)
    fn_cases: dict[tuple[str, str], list] = defaultdict(list)
    for rec, raw in zip(records, preds):
        text, gold = rec["text"], rec["spans"]
        pred = merge(raw)
        for g in gold:
            ent = g["entity"]
            hits = [p for p in pred if p[0] == ent and overlaps(p[1], p[2], g["start"], g["end"])]
            st, fm = stats[ent], formats[(ent, g["format"])]
            st["gold"] += 1
            fm["gold"] += 1
            if hits:
                st["found"] += 1
                fm["found"] += 1
                if any(p[1] == g["start"] and p[2] == g["end"] for p in hits):
                    st["exact"] += 1
            else:
                near = [p for p in pred if overlaps(p[1], p[2], g["start"], g["end"])]
                fn_cases[(ent, g["format"])].append(context(text, g["start"], g["end"], near))
        for p in pred:
            ent = p[0]
            stats[ent]["pred"] += 1
            if any(g["entity"] == ent and overlaps(p[1], p[2], g["start"], g["end"])
                   for g in gold):
                stats[ent]["tp"] += 1
                continue
            src = next((f"look-alike: {n['kind']}" for n in rec.get("negatives", [])
                        if overlaps(p[1], p[2], n["start"], n["end"])), None)
            if src is None:
                src = next((f"inside a {g['entity']}" for g in gold
                            if overlaps(p[1], p[2], g["start"], g["end"])), "other text")
            fp_sources[(ent, src)].append(context(text, p[1], p[2], []))
    return {"stats": stats, "formats": formats, "fp": fp_sources, "fn": fn_cases}


def context(text: str, s: int, e: int, preds: list) -> str:
    left = text[max(0, s - 25):s].replace("\n", "\\n")
    right = text[e:e + 25].replace("\n", "\\n")
    mid = text[s:e].replace("\n", "\\n")
    if len(mid) > 90:
        mid = mid[:60] + "…" + mid[-25:]
    found = ", ".join(f"{p[0]}:{text[p[1]:p[2]][:40]!r}" for p in preds)
    return f"…{left}⟦{mid}⟧{right}…" + (f"  (found instead: {found})" if found else "")


def prf(st: Counter) -> tuple[float, float, float, float]:
    p = st["tp"] / st["pred"] if st["pred"] else float("nan")
    r = st["found"] / st["gold"] if st["gold"] else float("nan")
    f = 2 * p * r / (p + r) if st["pred"] and st["found"] else 0.0
    x = st["exact"] / st["gold"] if st["gold"] else float("nan")
    return p, r, f, x


def fmt(v: float) -> str:
    return "—" if v != v else f"{v:.3f}"


def micro(stats: dict, ents: list[str]) -> Counter:
    c = Counter()
    for e in ents:
        c.update(stats[e])
    return c


# ---- report ---------------------------------------------------------------------------------
def report(records, warden, presidio, presidio_half, presidio_ents, args, out) -> None:
    w = warden["stats"]
    p = presidio["stats"] if presidio else None
    compared = [PRESIDIO_MAP[x] for x in presidio_ents] if presidio else []
    print("| entity | gold spans | Warden P | Warden R | Warden F1 | Warden exact "
          "| Presidio P | Presidio R | Presidio F1 | Presidio exact |", file=out)
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|", file=out)
    for e in ENTITIES:
        row = [e, str(w[e]["gold"]), *map(fmt, prf(w[e]))]
        if p is not None and e in compared:
            row += list(map(fmt, prf(p[e])))
        else:
            row += ["n/a"] * 4
        print("| " + " | ".join(row) + " |", file=out)
    if p is not None:
        wc, pc = micro(w, compared), micro(p, compared)
        print("| **micro, the " + f"{len(compared)} both cover** | {wc['gold']} | "
              + " | ".join(map(fmt, prf(wc))) + " | " + " | ".join(map(fmt, prf(pc))) + " |",
              file=out)
    wa = micro(w, ENTITIES)
    print(f"| **micro, all 10 (Warden)** | {wa['gold']} | " + " | ".join(map(fmt, prf(wa)))
          + " | | | | |", file=out)
    if presidio_half:
        ph = presidio_half["stats"]
        print("\nPresidio keeping only results with score ≥ 0.5:\n", file=out)
        print("| entity | P | R | F1 |\n|---|---:|---:|---:|", file=out)
        for e in compared:
            print(f"| {e} | " + " | ".join(map(fmt, prf(ph[e])[:3])) + " |", file=out)

    print("\nRecall by written form (forms where either tool misses something):\n", file=out)
    print("| entity / form | gold | Warden R | Presidio R |\n|---|---:|---:|---:|", file=out)
    for key in sorted(warden["formats"]):
        wf = warden["formats"][key]
        pf = presidio["formats"].get(key) if presidio else None
        wr = wf["found"] / wf["gold"]
        pr = (pf["found"] / pf["gold"]) if (pf and key[0] in compared) else None
        if wr < 1 or (pr is not None and pr < 1):
            print(f"| {key[0]} / {key[1]} | {wf['gold']} | {wr:.2f} | "
                  f"{'n/a' if pr is None else f'{pr:.2f}'} |", file=out)

    for name, res in (("Warden", warden), ("Presidio", presidio)):
        if not res:
            continue
        print(f"\n{name} false positives by what they fired on:\n", file=out)
        print("| entity | fired on | count | example |\n|---|---|---:|---|", file=out)
        for (ent, src), cases in sorted(res["fp"].items(), key=lambda kv: -len(kv[1])):
            ex = cases[0].replace("|", "\\|")
            print(f"| {ent} | {src} | {len(cases)} | `{ex}` |", file=out)

    print(f"\nWarden misses (up to {args.examples} per form):\n", file=out)
    for (ent, form), cases in sorted(warden["fn"].items()):
        print(f"- {ent} / {form}: {len(cases)} missed", file=out)
        for c in cases[:args.examples]:
            print(f"    - `{c}`", file=out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", help="JSONL from generate.py")
    ap.add_argument("--no-build", action="store_true", help="use the existing mask_lines binary")
    ap.add_argument("--no-presidio", action="store_true")
    ap.add_argument("--no-bench", action="store_true", help="skip the throughput runs")
    ap.add_argument("--presidio-limit", type=int, default=0,
                    help="analyse a sample of about N records with Presidio (default: all)")
    ap.add_argument("--spacy-model", action="append",
                    help="spaCy model(s) to try for Presidio, in order")
    ap.add_argument("--examples", type=int, default=3, help="missed cases shown per form")
    ap.add_argument("--markdown", help="also write the report to this file")
    args = ap.parse_args()

    records = [json.loads(line) for line in open(args.data, encoding="utf-8")]
    texts = [r["text"] for r in records]
    nbytes = sum(len(t.encode()) for t in texts)
    binary = warden_binary(not args.no_build)
    warden_preds = warden_predict(binary, texts)
    warden = score(records, warden_preds)
    rates = {} if args.no_bench else warden_bench(binary, texts)

    presidio = presidio_half = None
    presidio_ents: list[str] = []
    presidio_note = ""
    p_rate = None
    if args.no_presidio:
        presidio_note = "Presidio: skipped (--no-presidio)."
    else:
        try:
            analyzer, presidio_ents, setup = presidio_engine(
                args.spacy_model or ["en_core_web_lg", "en_core_web_md", "en_core_web_sm"])
            idx = list(range(len(records)))
            if args.presidio_limit and args.presidio_limit < len(records):
                step = len(records) / args.presidio_limit
                idx = sorted({int(i * step) for i in range(args.presidio_limit)})
            sample = [records[i] for i in idx]
            ppreds, elapsed = presidio_predict(analyzer, presidio_ents, [r["text"] for r in sample])
            presidio = score(sample, ppreds)
            presidio_half = score(sample, [[p for p in pp if p[3] >= 0.5] for pp in ppreds])
            sbytes = sum(len(r["text"].encode()) for r in sample)
            p_rate = sbytes / 1e6 / elapsed
            presidio_note = f"Presidio setup: {setup}."
            if len(sample) < len(records):
                presidio_note += (f" Presidio was run on a sample of {len(sample)} of "
                                  f"{len(records)} records (every {step:.1f}th); its accuracy "
                                  "and speed are on that sample.")
                # Warden on the same sample, for a like-for-like comparison.
                warden = score(sample, [warden_preds[i] for i in idx])
        except Exception as e:  # noqa: BLE001 - the reason is the output
            presidio_note = (f"Presidio could not run: {type(e).__name__}: {e}. "
                             "Only Warden's figures are given.")

    outs = [sys.stdout]
    if args.markdown:
        outs.append(open(args.markdown, "w", encoding="utf-8"))
    for out in outs:
        counts = Counter(s["entity"] for r in records for s in r["spans"])
        print(f"Measured {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC on "
              f"{platform.machine()} with {os.cpu_count()} cores, Python "
              f"{platform.python_version()}.", file=out)
        print(f"Data: {args.data}: {len(records)} records, {nbytes / 1e6:.2f} MB, "
              f"{sum(counts.values())} entity spans, "
              f"{sum(len(r.get('negatives', [])) for r in records)} planted look-alikes.",
              file=out)
        print(presidio_note + "\n", file=out)
        report(records, warden, presidio, presidio_half, presidio_ents, args, out)
        print("\nThroughput (MB = 10^6 bytes, one thread, "
              f"{platform.machine()}, {os.cpu_count()} cores):\n", file=out)
        print("| engine | MB/s |\n|---|---:|", file=out)
        for k, v in rates.items():
            print(f"| Warden `{k}` (10 detectors, median of 5) | {v:.1f} |", file=out)
        if args.no_bench:
            print("| Warden | not measured (--no-bench) |", file=out)
        if p_rate is not None:
            print(f"| Presidio analyze(), one call per record ({len(presidio_ents)} entity "
                  f"types) | {p_rate:.3f} |", file=out)
        else:
            print("| Presidio | n/a (did not run) |", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
