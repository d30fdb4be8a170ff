"""seglab.evaluation and ``seglab evaluate``: per-case values, pooled values, Dask, errors.

Every per-case value of the evaluation (read back from the CSV of the console script) is
compared with a direct call of the metric function of ``seglab.metrics`` or
``seglab.surface`` on the same masks with the same conventions; every pooled value with the
metric on the concatenated data; every Dask run with the serial run, exactly. NIfTI and Dask
need the extra ``seglab[evaluate]`` (``make test`` installs it); their tests skip with the
reason when it is missing.
"""

import csv
import json
import math
import os
import shutil

import numpy as np
import pytest

import seglab
from seglab import metrics as M
from seglab import surface as S
from seglab.cli import main
from seglab.data import write_synthetic_dataset
from seglab.evaluation import (
    OVERLAP_METRICS,
    SURFACE_METRICS,
    Conventions,
    EvaluationResult,
    _read,
    dataset_fingerprint,
    evaluate_dataset,
)


def _need(module):
    return pytest.importorskip(module, reason=f"{module} is part of the extra "
                                              f"seglab[evaluate] (make test installs it)")


LABELS = {1: "liver", 2: "tumour"}


@pytest.fixture(scope="module")
def png_set(tmp_path_factory):
    folder = tmp_path_factory.mktemp("png")
    pred, ref = write_synthetic_dataset(folder, num_cases=8, shape=(40, 36), format="png",
                                        num_classes=3, num_lesions=4, seed=3)
    return pred, ref


@pytest.fixture(scope="module")
def nifti_set(tmp_path_factory):
    _need("nibabel")
    folder = tmp_path_factory.mktemp("nifti")
    pred, ref = write_synthetic_dataset(folder, num_cases=6, shape=(20, 18, 12),
                                        spacing=(0.9, 1.1, 2.5), format="nifti",
                                        num_classes=3, num_lesions=3, seed=5)
    return pred, ref


# ---------------------------------------------------------------- direct calls


def _expected_overlap(name, pk, rk, conventions):
    both = not pk.any() and not rk.any()
    one = pk.any() != rk.any()
    if (both and conventions.both_empty == "nan") or (one and conventions.one_empty == "nan"):
        return math.nan
    z = 1.0 if both else (0.0 if one else math.nan)
    return getattr(M, name)(pk, rk, zero_division=z)


def _expected_surface(name, pk, rk, spacing, conventions):
    score = name in ("surface_dice", "boundary_f1")
    empty = {"both_empty": (1.0 if score else 0.0) if conventions.both_empty == "best"
             else math.nan,
             "one_empty": "worst" if conventions.one_empty == "worst" else math.nan}
    c = conventions
    if name == "hausdorff":
        return S.hausdorff(pk, rk, spacing=spacing, **empty)
    if name.startswith("hausdorff"):
        return S.hausdorff(pk, rk, spacing=spacing, percentile=c.percentile, method=c.method,
                           combine=c.combine, **empty)
    if name == "directed_hausdorff":
        return S.directed_hausdorff(pk, rk, spacing=spacing, **empty)
    if name == "assd":
        return S.assd(pk, rk, spacing=spacing, **empty)
    if name == "average_surface_distance":
        return S.average_surface_distance(pk, rk, spacing=spacing, **empty)
    return getattr(S, name)(pk, rk, spacing=spacing, tolerance=c.tolerance, **empty)


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _check_against_direct(pred_dir, ref_dir, rows, conventions, labels, spacing=None):
    by_case = {}
    for row in rows:
        by_case.setdefault(row["case"], []).append(row)
    assert sorted(by_case) == sorted(f.split(".")[0] for f in os.listdir(ref_dir))
    checked = 0
    for case, case_rows in by_case.items():
        name = next(f for f in os.listdir(ref_dir) if f.split(".")[0] == case)
        pred, header = _read(os.path.join(pred_dir, name))
        ref, _ = _read(os.path.join(ref_dir, name))
        grid = header[1] if header is not None else spacing
        for row in case_rows:
            k = {v: key for key, v in labels.items()}[row["class"]]
            pk, rk = pred == k, ref == k
            if row["metric"] in OVERLAP_METRICS:
                expected = _expected_overlap(row["metric"], pk, rk, conventions)
            else:
                expected = _expected_surface(row["metric"], pk, rk, grid, conventions)
            value = float(row["value"])
            assert (math.isnan(value) and math.isnan(expected)) or math.isclose(
                value, expected, rel_tol=1e-12, abs_tol=1e-12), (case, row, expected)
            checked += 1
    return checked


@pytest.mark.parametrize("conventions", [Conventions(),
                                         Conventions(both_empty="best", one_empty="nan",
                                                     tolerance=2.0, percentile=90,
                                                     method="inverted_cdf", combine="pooled")])
def test_png_cli_values_equal_direct_calls(png_set, tmp_path, conventions, capsys):
    pred, ref = png_set
    out = tmp_path / "rows.csv"
    args = ["evaluate", pred, ref, "--labels", "1:liver,2:tumour", "--csv", str(out),
            "--spacing", "0.5,2", "--both-empty", conventions.both_empty,
            "--one-empty", conventions.one_empty, "--tolerance", str(conventions.tolerance),
            "--percentile", str(conventions.percentile), "--method", conventions.method,
            "--combine", conventions.combine]
    assert main(args) == 0
    assert "liver" in capsys.readouterr().out
    rows = _read_csv(out)
    n = _check_against_direct(pred, ref, rows, conventions, LABELS, spacing=(0.5, 2.0))
    assert n == 8 * 2 * (len(OVERLAP_METRICS) + len(SURFACE_METRICS))
    names = {row["metric"] for row in rows}
    assert conventions.hausdorff_name in names


def test_nifti_cli_values_equal_direct_calls(nifti_set, tmp_path):
    pred, ref = nifti_set
    out = tmp_path / "rows.csv"
    assert main(["evaluate", pred, ref, "--labels", "1:liver,2:tumour", "--csv",
                 str(out)]) == 0
    rows = _read_csv(out)
    assert _check_against_direct(pred, ref, rows, Conventions(), LABELS) > 0
    # the header's anisotropic spacing was used
    assert all("spacing=header" in r["convention"] for r in rows
               if r["metric"] in SURFACE_METRICS)


def test_generated_set_has_empty_cases_and_several_lesions(png_set):
    from scipy import ndimage

    _, ref = png_set
    refs = [_read(os.path.join(ref, f))[0] for f in sorted(os.listdir(ref))]
    assert sum(not r.any() for r in refs) == 2  # round(0.25 * 8)
    assert any(ndimage.label(r > 0)[1] >= 3 for r in refs)
    assert {1, 2} <= set(np.unique(np.concatenate([r.ravel() for r in refs])).tolist())


def test_nifti_header_spacing(nifti_set):
    nib = _need("nibabel")
    _, ref = nifti_set
    image = nib.load(os.path.join(ref, "case_000.nii.gz"))
    assert image.header.get_zooms() == pytest.approx((0.9, 1.1, 2.5))


# ---------------------------------------------------------------- pooled and sharded


def _concatenated(pred_dir, ref_dir, k):
    preds, refs = [], []
    for f in sorted(os.listdir(ref_dir)):
        preds.append((_read(os.path.join(pred_dir, f))[0] == k).ravel())
        refs.append((_read(os.path.join(ref_dir, f))[0] == k).ravel())
    return np.concatenate(preds), np.concatenate(refs)


@pytest.mark.parametrize("fixture", ["png_set", "nifti_set"])
def test_pooled_equals_metric_of_concatenated_data(fixture, request):
    pred, ref = request.getfixturevalue(fixture)
    result = evaluate_dataset(pred, ref, labels=LABELS, metrics=list(OVERLAP_METRICS))
    for k, name in LABELS.items():
        pk, rk = _concatenated(pred, ref, k)
        for m in OVERLAP_METRICS:
            pooled = result.summary["metrics"][m]["classes"][name]["pooled"]
            assert pooled == pytest.approx(getattr(M, m)(pk, rk), rel=1e-12, abs=1e-12), m
        counts = result.summary["counts"][name]
        assert counts == {"tp": int((pk & rk).sum()), "fp": int((pk & ~rk).sum()),
                          "fn": int((~pk & rk).sum()), "tn": int((~pk & ~rk).sum())}


def test_shards_add_up_exactly(png_set, tmp_path):
    pred, ref = png_set
    files = sorted(os.listdir(ref))
    shards = []
    for part, chosen in enumerate((files[:3], files[3:])):
        folders = [tmp_path / f"s{part}" / side for side in ("p", "r")]
        for folder, source in zip(folders, (pred, ref), strict=True):
            folder.mkdir(parents=True)
            for f in chosen:
                shutil.copy(os.path.join(source, f), folder / f)
        shards.append(evaluate_dataset(*folders, labels=LABELS, metrics=["dice", "iou"]))
    whole = evaluate_dataset(pred, ref, labels=LABELS, metrics=["dice", "iou"])
    for name in LABELS.values():
        summed = {key: sum(s.summary["counts"][name][key] for s in shards)
                  for key in ("tp", "fp", "fn", "tn")}
        assert summed == whole.summary["counts"][name]
        cm = np.array([[summed["tn"], summed["fp"]], [summed["fn"], summed["tp"]]])
        for m in ("dice", "iou"):
            assert M.from_confusion(cm, m) == whole.summary["metrics"][m]["classes"][name][
                "pooled"]
    assert np.array_equal(np.concatenate([s.counts for s in shards]), whole.counts)


def test_summary_statistics(png_set):
    pred, ref = png_set
    result = evaluate_dataset(pred, ref, labels=LABELS, metrics=["dice", "hausdorff"])
    for m in ("dice", "hausdorff"):
        for name in LABELS.values():
            values = np.array([r["value"] for r in result.rows
                               if r["metric"] == m and r["class"] == name])
            entry = result.summary["metrics"][m]["classes"][name]
            defined = values[~np.isnan(values)]
            assert entry["n"] == defined.size and entry["excluded"] == 8 - defined.size
            assert entry["mean"] == pytest.approx(defined.mean(), rel=1e-12)
            assert entry["std"] == pytest.approx(defined.std(ddof=1), rel=1e-12)
    assert result.summary["metrics"]["hausdorff"]["classes"]["liver"]["pooled"] is None
    # with both_empty='nan', every metric leaves out exactly the cases where both are empty
    for k, name in LABELS.items():
        both = sum(not (_read(os.path.join(pred, f))[0] == k).any()
                   and not (_read(os.path.join(ref, f))[0] == k).any() for f in os.listdir(ref))
        assert both >= 1
        for m in ("dice", "hausdorff"):
            assert result.summary["metrics"][m]["classes"][name]["excluded"] == both


# ---------------------------------------------------------------- Dask


@pytest.mark.parametrize("scheduler", ["synchronous", "threads", "processes"])
def test_local_dask_equals_serial(png_set, scheduler):
    _need("dask")
    pred, ref = png_set
    serial = evaluate_dataset(pred, ref, labels=LABELS)
    parallel = evaluate_dataset(pred, ref, labels=LABELS, scheduler=scheduler)
    _assert_same(serial, parallel)


def _assert_same(a, b):
    assert [(r["case"], r["class"], r["metric"], r["convention"]) for r in a.rows] == [
        (r["case"], r["class"], r["metric"], r["convention"]) for r in b.rows]
    va = np.array([r["value"] for r in a.rows])
    vb = np.array([r["value"] for r in b.rows])
    assert np.array_equal(va, vb, equal_nan=True)  # bit for bit
    assert a.summary["metrics"] == b.summary["metrics"]
    assert a.summary["counts"] == b.summary["counts"]
    assert np.array_equal(a.counts, b.counts)


@pytest.mark.parametrize("per_worker", [1, 2, 100])
def test_batched_tasks_equal_serial(png_set, monkeypatch, per_worker):
    # one Dask task scores a batch of consecutive cases; results do not depend on the cut
    _need("dask")
    from seglab import evaluation

    pred, ref = png_set
    serial = evaluate_dataset(pred, ref, labels=LABELS)
    monkeypatch.setattr(evaluation, "_BATCHES_PER_WORKER", per_worker)
    _assert_same(serial, evaluate_dataset(pred, ref, labels=LABELS, scheduler="synchronous"))


@pytest.mark.parametrize("n, count", [(1, 8), (7, 3), (20, 8), (20, 20), (5, 100), (9, 1)])
def test_batches_cut_in_order(n, count):
    from seglab.evaluation import _batches

    batches = _batches(list(range(n)), count)
    assert [t for b in batches for t in b] == list(range(n))
    sizes = [len(b) for b in batches]
    assert len(batches) == min(n, count) and min(sizes) >= 1 and max(sizes) - min(sizes) <= 1


NANNY_ENVIRON = {"MALLOC_TRIM_THRESHOLD_": "65536"}  # what a distributed nanny starts with


def test_heap_settings_read_from_the_start_environment(monkeypatch):
    # glibc reads MALLOC_* when a process starts: a variable put into os.environ later
    # (as starting a LocalCluster does in the driver) says nothing about this heap
    import subprocess
    import sys

    from seglab import evaluation

    if not os.path.exists("/proc/self/environ"):
        pytest.skip("needs /proc/self/environ")
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    evaluation._start_environ.cache_clear()
    assert "MALLOC_TRIM_THRESHOLD_" not in evaluation._start_environ()
    evaluation._start_environ.cache_clear()
    child = subprocess.run(
        [sys.executable, "-c", "from seglab.evaluation import _start_environ; "
                               "print(_start_environ()['MALLOC_TRIM_THRESHOLD_'])"],
        capture_output=True, text=True, check=True, env=dict(os.environ))
    assert child.stdout.strip() == "65536"


def test_task_settings_are_restored(png_set, monkeypatch):
    # inside a Dask task the k-d tree runs on one thread and, under a nanny's eager heap
    # trimming (MALLOC_TRIM_THRESHOLD_), the heap is kept; both are set back after it
    from seglab import evaluation

    pred, ref = png_set
    serial = evaluate_dataset(pred, ref, labels=LABELS)
    tasks = []
    monkeypatch.setattr(evaluation, "_run", lambda t, s, p: tasks.extend(t) or [
        evaluation._evaluate_case(*task) for task in t])
    evaluate_dataset(pred, ref, labels=LABELS)
    monkeypatch.setattr(evaluation, "_start_environ", lambda: NANNY_ENVIRON)
    seen = []
    monkeypatch.setattr(evaluation, "_evaluate_case", lambda *task: seen.append(
        (S._KDTREE_WORKERS.get(), evaluation._heap_users)) or serial.rows)
    evaluation._evaluate_cases(tasks[:2])
    on_glibc = evaluation._mallopt() is not None
    assert seen == [(1, int(on_glibc))] * 2
    assert S._KDTREE_WORKERS.get() == -1 and evaluation._heap_users == 0


@pytest.mark.parametrize("n, workers", [(20, 2), (100, 2), (20, 8), (3, 2), (1, 4), (9, 1)])
def test_schedule_largest_first_batches_shrink(tmp_path, n, workers):
    # Dask batches: the pairs with the most bytes first, every case once, batch sizes
    # that never grow and end in single cases, about workers * log2(n) batches
    from seglab.evaluation import _in_case_order, _schedule

    sizes = np.random.default_rng(n).permutation(n) + 1
    tasks = []
    for i, size in enumerate(sizes):
        path = tmp_path / f"case{i}.npy"
        path.write_bytes(b"x" * int(size))
        tasks.append((f"case{i}", str(path), str(path), None))
    batches, order = _schedule(tasks, workers)
    flat = [task for batch in batches for task in batch]
    assert flat == [tasks[i] for i in order] and sorted(order) == list(range(n))
    assert [sizes[i] for i in order] == sorted(sizes, reverse=True)
    lengths = [len(batch) for batch in batches]
    assert lengths == sorted(lengths, reverse=True)
    assert lengths[-min(n, workers):] == [1] * min(n, workers)
    assert len(batches) <= workers * (math.log2(n) + 2)
    assert _in_case_order(batches, order) == tasks


def test_heap_kept_between_tasks_and_released_after(png_set, monkeypatch):
    # under a nanny's MALLOC_TRIM_THRESHOLD_ the heap of a run of tasks is given back
    # _HEAP_RELEASE seconds after the last one; a task starting before keeps it
    from seglab import evaluation

    if evaluation._mallopt() is None:
        pytest.skip("needs glibc's mallopt")
    pred, ref = png_set
    tasks = []
    monkeypatch.setattr(evaluation, "_run", lambda t, s, p: tasks.extend(t) or [
        evaluation._evaluate_case(*task) for task in t])
    evaluate_dataset(pred, ref, labels=LABELS)
    monkeypatch.setattr(evaluation, "_start_environ", lambda: NANNY_ENVIRON)
    monkeypatch.setattr(evaluation, "_HEAP_RELEASE", 60.0)
    first = evaluation._evaluate_cases(tasks[:2])
    pending = evaluation._heap_timer
    assert pending is not None and pending.is_alive()
    monkeypatch.setattr(evaluation, "_HEAP_RELEASE", 0.01)
    second = evaluation._evaluate_cases(tasks[:2])
    assert pending.finished.is_set() and evaluation._heap_timer is not pending
    evaluation._heap_timer.join()
    assert evaluation._heap_timer is None and evaluation._heap_users == 0
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a["counts"], b["counts"])


@pytest.mark.slow  # starting a two-process cluster takes about ten seconds
def test_distributed_cluster_equals_serial(nifti_set, capsys):
    distributed = _need("distributed")
    pred, ref = nifti_set
    serial = evaluate_dataset(pred, ref, labels=LABELS)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            on_client = evaluate_dataset(pred, ref, labels=LABELS, scheduler=client,
                                         progress=True)
        by_address = evaluate_dataset(pred, ref, labels=LABELS,
                                      scheduler=cluster.scheduler_address)
    _assert_same(serial, on_client)
    _assert_same(serial, by_address)


def test_progress_bar(png_set, capsys):
    _need("dask")
    pred, ref = png_set
    evaluate_dataset(pred, ref, labels=LABELS, metrics=["dice"], scheduler="threads",
                     progress=True)
    assert "100% Completed" in capsys.readouterr().out


# ---------------------------------------------------------------- outputs and conventions


def test_outputs_record_conventions(png_set, tmp_path):
    pred, ref = png_set
    conventions = Conventions(both_empty="best", tolerance=1.5)
    result = evaluate_dataset(pred, ref, labels=LABELS, spacing=0.7, conventions=conventions,
                              metrics=["dice", "hausdorff95", "surface_dice"])
    csv_path = result.to_csv(tmp_path / "rows.csv")
    json_path = result.to_json(tmp_path / "summary.json")
    rows = _read_csv(csv_path)
    assert list(rows[0]) == ["case", "class", "metric", "value", "convention"]
    assert len(rows) == 8 * 2 * 3
    assert all("both_empty=best" in r["convention"] and "one_empty=worst" in r["convention"]
               for r in rows)
    assert all("tolerance=1.5" in r["convention"] for r in rows if r["metric"] == "surface_dice")
    assert all("percentile=95" in r["convention"] for r in rows if r["metric"] == "hausdorff95")
    assert [float(r["value"]) for r in rows] == [r["value"] for r in result.rows]
    with open(json_path, encoding="utf-8") as f:
        summary = json.load(f)
    assert summary == result.summary
    assert summary["schema"] == "seglab.evaluation/1"
    assert summary["conventions"]["both_empty"] == "best"
    assert summary["conventions"]["tolerance"] == 1.5
    assert summary["conventions"]["spacing_source"] == "option"
    assert summary["provenance"]["num_cases"] == 8
    assert summary["provenance"]["seglab_version"] == seglab.__version__
    assert summary["labels"] == {"1": "liver", "2": "tumour"}
    assert result.conventions == summary["conventions"]
    # both_empty='best': nothing is left out of the Dice, and empty cases score 1
    assert summary["metrics"]["dice"]["classes"]["liver"]["excluded"] == 0
    for metric, entry in summary["metrics"].items():
        assert {r["convention"] for r in rows if r["metric"] == metric} == {entry["convention"]}


def test_json_summary_from_cli(png_set, tmp_path, capsys):
    pred, ref = png_set
    out = tmp_path / "s.json"
    assert main(["evaluate", pred, ref, "--labels", "1:liver,2:tumour", "--metrics",
                 "dice,assd", "--one-empty", "nan", "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert set(summary["metrics"]) == {"dice", "assd"}
    assert summary["conventions"]["one_empty"] == "nan"
    assert summary["conventions"]["spacing_source"] == "unit"
    printed = capsys.readouterr().out
    assert "one_empty=nan" in printed and "assd" in printed


def test_labels_from_json_file(png_set, tmp_path):
    pred, ref = png_set
    table = tmp_path / "labels.json"
    table.write_text(json.dumps({"1": "liver", "2": "tumour"}))
    a = evaluate_dataset(pred, ref, labels=str(table), metrics=["dice"])
    b = evaluate_dataset(pred, ref, labels="1:liver, 2:tumour", metrics=["dice"])
    assert a.summary["metrics"] == b.summary["metrics"]


def test_recommend_prints_fingerprint_and_advice(png_set, capsys):
    pred, ref = png_set
    fp = dataset_fingerprint(ref, labels=LABELS)
    refs = [_read(os.path.join(ref, f))[0] for f in sorted(os.listdir(ref))]
    assert fp["foreground_fraction"] == pytest.approx(
        sum(int((r > 0).sum()) for r in refs) / sum(r.size for r in refs))
    assert fp["empty_share"] == 2 / 8 and fp["empty_images"] is True
    assert fp["objects_per_image"] >= 1
    assert main(["evaluate", pred, ref, "--labels", "1:liver,2:tumour", "--metrics", "dice",
                 "--recommend", "--boundaries-matter"]) == 0
    out = capsys.readouterr().out
    assert "fingerprint: foreground fraction" in out
    from seglab.recommend import recommend

    rec = recommend(foreground_fraction=fp["foreground_fraction"],
                    objects_per_image=fp["objects_per_image"], boundaries_matter=True,
                    detection_matters=False, empty_images=True)
    for item in rec.items():
        assert item.name in out


def test_any_dimension_overlap_only(tmp_path):
    rng = np.random.default_rng(0)
    for side in ("p", "r"):
        (tmp_path / side).mkdir()
    for i in range(3):
        shape = (3, 4, 2, 5)
        np.save(tmp_path / "p" / f"c{i}.npy", rng.integers(0, 2, shape))
        np.save(tmp_path / "r" / f"c{i}.npy", rng.integers(0, 2, shape))
    result = evaluate_dataset(tmp_path / "p", tmp_path / "r", metrics=["dice", "mcc"])
    p = np.load(tmp_path / "p" / "c1.npy")
    r = np.load(tmp_path / "r" / "c1.npy")
    assert result.rows[2]["value"] == M.dice(p, r)
    with pytest.raises(ValueError, match="surface metrics need 2-D or 3-D"):
        evaluate_dataset(tmp_path / "p", tmp_path / "r", metrics=["dice", "hausdorff"])


def test_tiff_pairs(tmp_path):
    import imageio.v3 as iio

    labels = np.zeros((10, 12), dtype=np.uint8)
    labels[2:6, 3:8] = 1
    labels[7:9, 1:4] = 2
    moved = np.roll(labels, 1, axis=1)
    p, r = _pair_dirs(tmp_path, {}, {})
    iio.imwrite(p / "t.tif", moved)
    iio.imwrite(r / "t.tif", labels)
    result = evaluate_dataset(p, r, labels=LABELS, metrics=["dice", "hausdorff"],
                              spacing=(2.0, 0.5))
    values = {(row["class"], row["metric"]): row["value"] for row in result.rows}
    for k, name in LABELS.items():
        assert values[name, "dice"] == M.dice(moved == k, labels == k)
        assert values[name, "hausdorff"] == S.hausdorff(moved == k, labels == k,
                                                         spacing=(2.0, 0.5))


def test_npz_and_python_module_entry(tmp_path):
    import subprocess
    import sys

    for side in ("p", "r"):
        (tmp_path / side).mkdir()
    mask = np.zeros((8, 8), dtype=np.uint8)
    mask[2:5, 2:6] = 1
    np.savez(tmp_path / "p" / "a.npz", mask)
    np.savez(tmp_path / "r" / "a.npz", np.roll(mask, 1, axis=0))
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(seglab.__file__)))
    done = subprocess.run([sys.executable, "-m", "seglab", "evaluate", str(tmp_path / "p"),
                           str(tmp_path / "r"), "--metrics", "dice"], capture_output=True,
                          text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert f"{M.dice(mask, np.roll(mask, 1, axis=0)):.4g}" in done.stdout


# ---------------------------------------------------------------- errors


def _pair_dirs(tmp_path, pred_files, ref_files):
    p, r = tmp_path / "p", tmp_path / "r"
    p.mkdir()
    r.mkdir()
    for folder, files in ((p, pred_files), (r, ref_files)):
        for name, arr in files.items():
            if name.endswith(".npy"):
                np.save(folder / name, arr)
            else:
                import imageio.v3 as iio

                iio.imwrite(folder / name, arr)
    return p, r


def _mask(shift=0):
    m = np.zeros((8, 8), dtype=np.uint8)
    m[2:5, 2 + shift:6 + shift] = 1
    return m


def test_unmatched_files_listed(tmp_path, capsys):
    p, r = _pair_dirs(tmp_path, {"a.npy": _mask(), "b.npy": _mask()},
                      {"a.npy": _mask(), "c.npy": _mask()})
    with pytest.raises(ValueError, match=r"prediction file\(s\) with no reference: b.npy.*"
                                         r"reference file\(s\) with no prediction: c.npy"):
        evaluate_dataset(p, r)
    assert main(["evaluate", str(p), str(r)]) == 2
    assert "b.npy" in capsys.readouterr().err


def test_nifti_header_mismatch_names_the_file(tmp_path):
    nib = _need("nibabel")
    p, r = tmp_path / "p", tmp_path / "r"
    p.mkdir()
    r.mkdir()
    data = np.zeros((6, 6, 4), dtype=np.uint8)
    data[1:4, 1:4, 1:3] = 1
    nib.save(nib.Nifti1Image(data, np.diag([1.0, 1.0, 2.0, 1.0])), p / "x.nii.gz")
    nib.save(nib.Nifti1Image(data, np.diag([-1.0, 1.0, 2.0, 1.0])), r / "x.nii.gz")
    with pytest.raises(ValueError, match=r"headers of .*x.nii.gz and .*x.nii.gz differ"):
        evaluate_dataset(p, r)
    nib.save(nib.Nifti1Image(data, np.diag([1.0, 1.0, 3.0, 1.0])), r / "x.nii.gz")
    with pytest.raises(ValueError, match="differ"):
        evaluate_dataset(p, r)
    nib.save(nib.Nifti1Image(data[:5], np.diag([1.0, 1.0, 2.0, 1.0])), r / "x.nii.gz")
    with pytest.raises(ValueError, match="shape"):
        evaluate_dataset(p, r)
    nib.save(nib.Nifti1Image(data.astype(np.float32) * 0.5, np.diag([1.0, 1.0, 2.0, 1.0])),
             r / "x.nii.gz")
    with pytest.raises(ValueError, match="whole numbers"):
        evaluate_dataset(p, r)
    nib.save(nib.Nifti1Image(data.astype(np.float32), np.diag([1.0, 1.0, 2.0, 1.0])),
             r / "x.nii.gz")
    assert evaluate_dataset(p, r, metrics=["dice"]).rows[0]["value"] == 1.0
    with pytest.raises(ValueError, match="NIfTI files carry their spacing"):
        evaluate_dataset(p, r, spacing=1.0)
    np.save(p / "y.npy", data)
    np.save(r / "y.nii.gz.npy", data)  # not the same name
    with pytest.raises(ValueError, match="unmatched"):
        evaluate_dataset(p, r)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"labels": "liver"}, ValueError, "value:name"),
    ({"labels": "x:liver"}, ValueError, "integer label values"),
    ({"labels": {0: "bg"}}, ValueError, "0 is the background"),
    ({"labels": {1: "a", 2: "a"}}, ValueError, "distinct"),
    ({"labels": {1: ""}}, ValueError, "non-empty"),
    ({"labels": {}}, ValueError, "at least one"),
    ({"labels": {1.5: "a"}}, TypeError, "integer label values"),
    ({"labels": ["a"]}, TypeError, "labels must be"),
    ({"labels": "missing.json"}, ValueError, "does not exist"),
    ({"metrics": ["dice", "bogus"]}, ValueError, "metrics must be one of"),
    ({"metrics": []}, ValueError, "each metric once"),
    ({"metrics": ["dice", "dice"]}, ValueError, "each metric once"),
    ({"metrics": 3}, TypeError, "metrics must be"),
    ({"conventions": {"bogus": 1}}, ValueError, "unknown keys"),
    ({"conventions": {"one_empty": "best"}}, ValueError, "one_empty must be"),
    ({"conventions": {"percentile": 0}}, ValueError, "percentile"),
    ({"conventions": {"tolerance": -1.0}}, ValueError, "tolerance"),
    ({"conventions": {"both_empty": 1}}, TypeError, "both_empty must be a str"),
    ({"conventions": 5}, TypeError, "conventions must be"),
    ({"progress": True}, ValueError, "needs a scheduler"),
    ({"progress": "yes"}, TypeError, "progress"),
    ({"lesions": 1}, TypeError, "lesions"),
    ({"scheduler": "bogus"}, ValueError, "scheduler must be"),
    ({"scheduler": ""}, ValueError, "scheduler must not be"),
    ({"scheduler": 3}, TypeError, "scheduler must be"),
    ({"spacing": (1.0, -2.0)}, ValueError, "spacing"),
    ({"spacing": (1.0, 1.0, 1.0)}, ValueError, "spacing must have one entry per axis"),
])
def test_validation(tmp_path, kwargs, error, match):
    if "scheduler" in kwargs:
        _need("dask")
    p, r = _pair_dirs(tmp_path, {"a.npy": _mask()}, {"a.npy": _mask(1)})
    with pytest.raises(error, match=match):
        evaluate_dataset(p, r, **kwargs)


def test_file_errors(tmp_path):
    with pytest.raises(ValueError, match="existing folder"):
        evaluate_dataset(tmp_path / "none", tmp_path)
    with pytest.raises(TypeError, match="path of a folder"):
        evaluate_dataset(None, tmp_path)
    with pytest.raises(ValueError, match="holds no image file"):
        evaluate_dataset(tmp_path, tmp_path)
    p, r = _pair_dirs(tmp_path, {"a.npy": _mask()}, {"a.npy": _mask()[:6]})
    with pytest.raises(ValueError, match=r"case 'a'.*shape"):
        evaluate_dataset(p, r)
    np.save(r / "a.npy", 3 * _mask())
    with pytest.raises(ValueError, match="label 3 is not in the label table"):
        evaluate_dataset(p, r)
    np.save(r / "a.npy", 2 * _mask())
    with pytest.raises(ValueError, match="label 2 is not in the label table"):
        evaluate_dataset(p, r, labels={1: "a", 3: "c"})
    np.save(r / "a.npy", _mask().astype(np.float64) + 0.5)
    with pytest.raises(ValueError, match="whole numbers"):
        evaluate_dataset(p, r)
    np.save(r / "a.npy", _mask().astype(str))
    with pytest.raises(ValueError, match="must hold integers"):
        evaluate_dataset(p, r)
    (r / "a.npy").unlink()
    np.savez(r / "a.npz", _mask(), _mask())
    np.savez(p / "a.npz", _mask())
    (p / "a.npy").unlink()
    with pytest.raises(ValueError, match="exactly one array"):
        evaluate_dataset(p, r)
    (r / "a.npz").write_bytes(b"not an archive")
    with pytest.raises(ValueError, match="cannot be read"):
        evaluate_dataset(p, r)
    q, s = tmp_path / "q", tmp_path / "s"
    q.mkdir()
    s.mkdir()
    import imageio.v3 as iio

    iio.imwrite(q / "a.png", np.zeros((8, 8, 3), dtype=np.uint8))
    iio.imwrite(s / "a.png", np.zeros((8, 8, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="single-channel"):
        evaluate_dataset(q, s)


def test_output_paths(png_set, tmp_path):
    pred, ref = png_set
    result = evaluate_dataset(pred, ref, labels=LABELS, metrics=["dice"])
    with pytest.raises(ValueError, match="end in '.csv'"):
        result.to_csv(tmp_path / "rows.txt")
    with pytest.raises(ValueError, match="end in '.json'"):
        result.to_json(tmp_path / "s.csv")
    with pytest.raises(ValueError, match="existing folder"):
        result.to_json(tmp_path / "none" / "s.json")
    with pytest.raises(TypeError, match="file name"):
        result.to_csv(None)
    assert isinstance(result, EvaluationResult)


def test_write_synthetic_dataset_validation(tmp_path):
    with pytest.raises(ValueError, match="existing folder"):
        write_synthetic_dataset(tmp_path / "none")
    with pytest.raises(ValueError, match="2-D shape"):
        write_synthetic_dataset(tmp_path, shape=(4, 4, 4), format="png")
    with pytest.raises(ValueError, match="carry no spacing"):
        write_synthetic_dataset(tmp_path, format="npy", spacing=2.0)
    with pytest.raises(ValueError, match="format must be"):
        write_synthetic_dataset(tmp_path, format="jpeg")
    with pytest.raises(ValueError, match="67108864"):  # 2**26, the limit of one case
        write_synthetic_dataset(tmp_path, shape=(2**14, 2**14))
    with pytest.raises(ValueError, match="num_lesions"):
        write_synthetic_dataset(tmp_path, shape=(4, 4), num_lesions=5, format="npy")
    a = write_synthetic_dataset(tmp_path, num_cases=2, shape=(12, 12), format="npy", seed=4)
    first = [np.load(os.path.join(a[1], f)) for f in sorted(os.listdir(a[1]))]
    write_synthetic_dataset(tmp_path, num_cases=2, shape=(12, 12), format="npy", seed=4)
    again = [np.load(os.path.join(a[1], f)) for f in sorted(os.listdir(a[1]))]
    assert all(np.array_equal(x, y) for x, y in zip(first, again, strict=True))


# ---------------------------------------------------------------- lesion-wise hook


@pytest.mark.parametrize("conventions", [Conventions(), Conventions(both_empty="best",
                                                                    one_empty="nan")])
def test_lesion_scores_equal_direct_calls(png_set, conventions):
    from seglab.lesions import detection_scores, lesion_counts

    pred_dir, ref_dir = png_set
    result = evaluate_dataset(pred_dir, ref_dir, labels=LABELS, metrics=["dice"],
                              spacing=(0.5, 2.0), conventions=conventions, lesions=True)
    values = {(r["case"], r["class"], r["metric"]): r["value"] for r in result.rows}
    keys = {"lesion_precision": "precision", "lesion_recall": "recall", "lesion_f1": "f1",
            "lesion_sq": "sq", "lesion_rq": "rq", "panoptic_quality": "pq"}
    totals, n_rows = {}, 0
    for f in sorted(os.listdir(ref_dir)):
        case = f.split(".")[0]
        pred, ref = _read(os.path.join(pred_dir, f))[0], _read(os.path.join(ref_dir, f))[0]
        for k, name in LABELS.items():
            pk, rk = pred == k, ref == k
            counts, rows = lesion_counts(pk, rk, spacing=(0.5, 2.0))
            n_rows += len(rows)
            totals[name] = totals.get(name, 0) + counts
            both, one = not pk.any() and not rk.any(), pk.any() != rk.any()
            left_out = ((both and conventions.both_empty == "nan")
                        or (one and conventions.one_empty == "nan"))
            scores = detection_scores(
                counts, zero_division=0.0 if one else math.nan,
                both_empty=1.0 if conventions.both_empty == "best" else math.nan)
            for metric, key in keys.items():
                expected = math.nan if left_out else scores[key]
                got = values[case, name, metric]
                assert (math.isnan(got) and math.isnan(expected)) or got == expected, (
                    case, name, metric, got, expected)
    assert len(result.lesion_rows) == n_rows
    assert {row["case"] for row in result.lesion_rows} <= {f.split(".")[0]
                                                           for f in os.listdir(ref_dir)}
    for name, total in totals.items():
        pooled = detection_scores(total)
        assert result.summary["metrics"]["lesion_f1"]["classes"][name]["pooled"] == pooled["f1"]
        assert result.summary["metrics"]["panoptic_quality"]["classes"][name]["pooled"] == \
            pytest.approx(pooled["pq"], rel=1e-12)
        assert result.summary["lesions"][name]["tp"] == list(total.tp)
        assert result.summary["lesions"][name]["iou_sum_exact"] == str(total.iou_sum)
    assert result.summary["metrics"]["lesion_f1"]["kind"] == "lesion"


def test_lesions_on_dask_and_cli(png_set, tmp_path):
    _need("dask")
    pred, ref = png_set
    serial = evaluate_dataset(pred, ref, labels=LABELS, metrics=["dice"], lesions=True)
    parallel = evaluate_dataset(pred, ref, labels=LABELS, metrics=["dice"], lesions=True,
                                scheduler="processes")
    _assert_same(serial, parallel)
    assert serial.summary["lesions"] == parallel.summary["lesions"]
    out = tmp_path / "s.json"
    assert main(["evaluate", pred, ref, "--labels", "1:liver,2:tumour", "--metrics", "dice",
                 "--lesions", "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert summary["lesions"] == serial.summary["lesions"]
    assert summary["metrics"]["lesion_f1"] == serial.summary["metrics"]["lesion_f1"]
