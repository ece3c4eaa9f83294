#!/usr/bin/env python3
"""Record linkage benchmark (issue 21): an untuned Splink run against the engine's model on
the same generated records, then the incremental daily file and the field entry's duplicate
check.

    .venv/bin/python bench/linkage.py --people 100000      # a quick check, a few minutes
    .venv/bin/python bench/linkage.py                      # 1M people: ~2M records
    .venv/bin/python bench/linkage.py --people 500000 --data /tmp/lk500k --skip-baseline
                                                           # keep / reuse the generated frames

The generator makes --people people with two records each (plus their twins): the first
record of each goes to the "people" frame (Pathways), the second to the "other sources" frame
(arrests, EMS, CAD, providers); both frames are linked and deduplicated together.

(a) baseline: Splink with out-of-the-box comparisons (cl.NameComparison on first and last
    name, cl.DateOfBirthComparison, exact sex and ZIP) and plain blocking (first + last name;
    dob), trained the usual way, clustered with Splink's own clustering at 0.95;
(b) the engine: prepare, train, predict (at the review band), cluster at AUTO_LINK;
(c) 10k held-out records of the other-sources frame linked against the rest
    (link_incremental, no retraining);
(d) candidates() latency: one typo'd record against a CandidatePool of 10k built once.

Each of (a) and (b) runs in its own process, so each peak memory (ru_maxrss) is its own.
Prints seconds per phase, comparisons, peak memory and pairwise F1. Never run by the tests."""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def _frames(folder: Path) -> tuple[Any, Any]:
    import pandas as pd  # type: ignore[import-untyped]

    left = pd.read_parquet(folder / "left.parquet")
    right = pd.read_parquet(folder / "right.parquet")
    return left, right


def _truth_f1(assignment: dict[str, str], left: Any, right: Any) -> Any:
    import pandas as pd

    from pathways.linkage.engine.generator import pairs_from_clusters, pairs_truth, score

    both = pd.concat([left, right], ignore_index=True)
    return score(pairs_from_clusters(assignment), pairs_truth(both))


def _quiet() -> None:
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning)
    logging.getLogger("splink").setLevel(logging.ERROR)


def baseline(folder: Path, out: Any) -> None:
    """(a) Splink out of the box on the raw record columns."""
    _quiet()
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    left, right = _frames(folder)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    columns = ["unique_id", "first_name", "last_name", "dob", "sex", "postal_code"]
    db = DuckDBAPI()
    tables = [
        db.register(frame[columns].copy(), table_name=name)
        for name, frame in (("people", left), ("others", right))
    ]
    settings = SettingsCreator(
        link_type="link_and_dedupe",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.ExactMatch("postal_code"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name"),
            block_on("dob"),
        ],
    )
    linker = Linker(tables, settings, log_level=None)
    timings["load"] = time.perf_counter() - start
    start = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "last_name", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "last_name")
    )
    timings["train"] = time.perf_counter() - start
    start = time.perf_counter()
    counts = linker.blocking_analysis.count_comparisons_from_blocking_rules(
        record_sample_proportion=0.1
    )
    timings["count comparisons (not in total)"] = time.perf_counter() - start
    start = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=0.5)
    timings["predict"] = time.perf_counter() - start
    start = time.perf_counter()
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pred, threshold_match_probability=0.95
    )
    frame = clustered.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    assignment = dict(
        zip(frame["unique_id"].astype(str), frame["cluster_id"].astype(str), strict=True)
    )
    timings["cluster"] = time.perf_counter() - start
    result = _truth_f1(assignment, left, right)
    out.put(
        {
            "timings": timings,
            "comparisons": int(counts[-1]["cumulative_comparison_count"]),
            "comparisons_estimate": bool(counts[-1]["is_estimate"]),
            "peak_gb": _peak_gb(),
            "score": result,
        }
    )


def engine(folder: Path, out: Any) -> None:
    """(b) the engine's model, then (c) incremental and (d) candidates."""
    _quiet()
    import pandas as pd

    from pathways.linkage.engine import model as M
    from pathways.linkage.engine.clusters import clusters
    from pathways.linkage.engine.normalise import prepare

    left, right = _frames(folder)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    left_p, right_p = prepare(left), prepare(right)
    timings["prepare"] = time.perf_counter() - start
    start = time.perf_counter()
    counts = M.check_blocking(
        left_p, right=right_p, max_comparisons=10**10, record_sample_proportion=0.1
    )
    timings["count comparisons (not in total)"] = time.perf_counter() - start
    start = time.perf_counter()
    model = M.train(left_p, right=right_p, seed=1, u_max_pairs=5e6, max_comparisons=10**10)
    timings["train"] = time.perf_counter() - start
    start = time.perf_counter()
    pred = M.predict(model, left_p, right_p, threshold=M.REVIEW_BAND)
    timings["predict"] = time.perf_counter() - start
    start = time.perf_counter()
    ids = pd.concat([left_p["unique_id"], right_p["unique_id"]])
    assignment = clusters(pred, threshold=M.AUTO_LINK, ids=ids)
    timings["cluster"] = time.perf_counter() - start
    peak_b = _peak_gb()
    result = _truth_f1(assignment, left, right)

    # (c) a daily file: 10k records of the other sources held out, against all the rest
    new = right_p.sample(n=min(10_000, len(right_p) // 2), random_state=1)
    existing = pd.concat([left_p, right_p.drop(new.index)], ignore_index=True)
    start = time.perf_counter()
    daily = M.link_incremental(model, new, existing, threshold=M.REVIEW_BAND)
    incremental_s = time.perf_counter() - start
    new_raw = right.loc[new.index]
    start = time.perf_counter()
    M.link_incremental(model, new_raw, existing, threshold=M.REVIEW_BAND)
    incremental_raw_s = time.perf_counter() - start

    # (d) the duplicate check against a pool of 10k
    pool = left_p.head(10_000)
    raw_pool = left.head(10_000)
    start = time.perf_counter()
    cached = M.CandidatePool(model, pool)
    pool_build_s = time.perf_counter() - start
    start = time.perf_counter()
    M.candidates(model, raw_pool.iloc[0].drop(labels=["true_id"]).to_dict(), pool, top=5)
    one_shot_s = time.perf_counter() - start
    latencies = []
    hits = 0
    for number in range(21):
        target = raw_pool.iloc[number * 97]
        record = target.drop(labels=["true_id"]).to_dict()
        record["unique_id"] = f"person:new-{number}"
        name = str(record.get("last_name") or "x")
        record["last_name"] = name[:-1] + "q"
        t0 = time.perf_counter()
        got = cached.candidates(record, top=5)
        latencies.append(time.perf_counter() - t0)
        top = set(got.head(1)[["unique_id_l", "unique_id_r"]].to_numpy().ravel())
        hits += target["unique_id"] in top
    out.put(
        {
            "timings": timings,
            "comparisons": counts.total,
            "comparisons_estimate": counts.is_estimate,
            "per_rule": counts.per_rule,
            "peak_gb": peak_b,
            "peak_gb_all": _peak_gb(),
            "score": result,
            "incremental_s": incremental_s,
            "incremental_raw_s": incremental_raw_s,
            "incremental_pairs": len(daily),
            "candidates_ms": [x * 1000 for x in latencies[1:]],
            "candidates_first_ms": latencies[0] * 1000,
            "candidates_hits": f"{hits}/21",
            "pool_build_s": pool_build_s,
            "one_shot_s": one_shot_s,
            "model_version": model.version,
        }
    )


def _run(target: Any, folder: Path) -> dict[str, Any]:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(folder, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def _show(name: str, result: dict[str, Any]) -> float:
    timings = result["timings"]
    total = sum(v for k, v in timings.items() if "not in total" not in k)
    print(f"\n== {name}")
    for phase, seconds in timings.items():
        print(f"  {phase:<34} {seconds:8.1f} s")
    print(f"  {'total':<34} {total:8.1f} s")
    estimate = " (estimated from a 10% sample)" if result["comparisons_estimate"] else ""
    print(f"  comparisons {result['comparisons']:,}{estimate}")
    print(f"  peak memory {result['peak_gb']:.2f} GB")
    s = result["score"]
    print(f"  pairwise: precision {s.precision:.4f} recall {s.recall:.4f} F1 {s.f1:.4f}")
    return total


def _generate(folder: Path, people: int, seed: int) -> None:
    from pathways.linkage.engine.generator import generate

    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    df = generate(people, seed=seed, records_per_person=(2, 2))
    is_first = df["unique_id"].str.endswith("-0")
    df[is_first].reset_index(drop=True).to_parquet(folder / "left.parquet")
    df[~is_first].reset_index(drop=True).to_parquet(folder / "right.parquet")
    print(
        f"generated {len(df):,} records of {df['true_id'].nunique():,} people "
        f"({is_first.sum():,} people-records, {(~is_first).sum():,} other-source) "
        f"in {time.perf_counter() - start:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--data",
        type=Path,
        help="folder for the generated frames (left.parquet, right.parquet): reused when "
        "both are there (they must be of the same --people and --seed), else written there",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="linkage-bench-") as tmp:
        folder = args.data or Path(tmp)
        if (folder / "left.parquet").exists() and (folder / "right.parquet").exists():
            print(f"reusing the generated frames in {folder}")
        else:
            _generate(folder, args.people, args.seed)
        base_total = None
        if not args.skip_baseline:
            base = _run(baseline, folder)
            base_total = _show("(a) untuned Splink", base)
        ours = _run(engine, folder)
        ours_total = _show("(b) the engine", ours)
        print(f"  peak memory incl. (c) and (d): {ours['peak_gb_all']:.2f} GB")
        print("  comparisons per rule (marginal):")
        for rule, count in ours["per_rule"]:
            print(f"    {count:>14,}  {rule}")
        print("\n== (c) incremental daily file of 10k against the rest")
        print(
            f"  prepared frames: {ours['incremental_s']:.1f} s; new file raw: "
            f"{ours['incremental_raw_s']:.1f} s; pairs {ours['incremental_pairs']:,}"
        )
        ms = ours["candidates_ms"]
        print("\n== (d) candidates() against a pool of 10k (prepared)")
        print(
            f"  CandidatePool built once in {ours['pool_build_s'] * 1000:.0f} ms; "
            f"candidates(model, record, frame) without a pool: {ours['one_shot_s'] * 1000:.0f} ms"
        )
        print(
            f"  first call {ours['candidates_first_ms']:.0f} ms; then median "
            f"{statistics.median(ms):.0f} ms, max {max(ms):.0f} ms; "
            f"typo'd record first: {ours['candidates_hits']}"
        )
        print(f"\nmodel {ours['model_version']}")
        if base_total is not None:
            print(
                f"targets: (b) time <= (a): {ours_total:.1f} s vs {base_total:.1f} s; "
                f"peak <= 8 GB: {ours['peak_gb']:.2f} GB"
            )


if __name__ == "__main__":
    main()
