"""What a version derives from its files is worked out once per distinct case and shared
by the versions that repeat it, with the same answer as working out each version alone:
its DVC pipeline answer (metrics in the DVC cache, staleness as ``dvc.lock`` records it)
and its sources."""

from __future__ import annotations

import hashlib
from pathlib import Path

from modeltrail.store.read import pipelines
from modeltrail.store.read.blobfacts import DvcCache, dvc_file_md5, parse_dvc_lock

TRAIN = b"train()\n"
LOCK = f"""\
schema: '2.0'
stages:
  train:
    cmd: python train.py
    deps:
    - path: train.py
      hash: md5
      md5: {hashlib.md5(TRAIN).hexdigest()}
    outs:
    - path: model.pkl
      hash: md5
      md5: {"a" * 32}
  evaluate:
    cmd: python evaluate.py
    deps:
    - path: model.pkl
      hash: md5
      md5: {"a" * 32}
    outs:
    - path: metrics.json
      hash: md5
      md5: {"c" * 32}
""".encode()
METRICS = ["seg/metrics.json"]


def _versions() -> list[dict[str, tuple[str, str]]]:
    """Files of a pipeline's versions: the code as recorded, changed, as recorded again;
    a version without its lock; one whose metrics file is in git."""
    common = {"seg/dvc.yaml": ("yaml1", "100644"), "seg/dvc.lock": ("lock1", "100644")}
    same = {**common, "seg/train.py": ("train-as-recorded", "100644")}
    edited = {**common, "seg/train.py": ("train-edited", "100644")}
    return [
        same,
        dict(same),
        edited,
        {**same, "seg/notes.md": ("notes", "100644")},
        {"seg/dvc.yaml": ("yaml1", "100644")},
        {**same, "seg/metrics.json": ("m", "100644")},
        {"other/file": ("x", "100644")},
    ]


def test_answers_are_those_of_each_version_decided_alone(tmp_path: Path) -> None:
    locks = {"lock1": parse_dvc_lock(LOCK)}
    declared = {"yaml1": (METRICS, [])}
    data = {"train-as-recorded": TRAIN, "train-edited": b"train(2)\n"}

    def blob_md5(blob: str, legacy: bool) -> str | None:
        return dvc_file_md5(data[blob], legacy) if blob in data else None

    memo = pipelines.Pipelines(locks, DvcCache(tmp_path, 1 << 20), blob_md5)
    alone = DvcCache(tmp_path, 1 << 20)
    answers = []
    for files in _versions():
        got = memo.answer(files, declared)
        assert got == pipelines.dvc_pipeline(files, declared, locks, alone, blob_md5)
        answers.append(got)
    assert answers[0][1] is False and answers[2][1] is True  # the edited code is stale
    assert answers[4][1] is None and answers[6][1] is None  # no lock: nothing said
    # decided once: the versions that repeat a case share its answer
    assert answers[1] is answers[0] and answers[3] is answers[0]
    assert answers[2] is not answers[0]
    assert memo.dep_blobs(_versions()[2], declared) == {"train-edited"}


def test_sources_are_those_of_each_version_worked_out_alone() -> None:
    """A version's sources (role, path, blob) are worked out once per model, paths and
    what its declaring files say; versions that repeat those get the same rows with
    their own blobs."""
    from modeltrail.store.read import sources

    dvc_decl = {"dvcyaml": (["p/eval/metrics.json", "p/gone.json"], ["p/params.yaml"])}
    manifests = {"man1": ("scores.json", None), "man2": ("other.json", "hp.yaml")}
    a = {"m/metrics.json": ("j1", "100644"), "m/model.yaml": ("man1", "100644")}
    versions = [
        ("m", ("m",), {**a, "m/scores.json": ("s1", "100644")}),
        ("m", ("m",), {**a, "m/scores.json": ("s2", "100644")}),  # same shape, new blob
        ("m", ("m",), {**a, "m/model.yaml": ("man2", "100644"), "m/other.json": ("o", "1")}),
        ("m", ("m",), {"m/model.yaml": ("man1", "100644"), "m/metrics.json": ("j2", "1")}),
        ("n", ("p", "old"), {"p/dvc.yaml": ("dvcyaml", "1"), "p/eval/metrics.json": ("e", "1")}),
        ("n", ("p", "old"), {"p/params.yaml": ("pp", "1"), "p/requirements.txt": ("r", "1")}),
        ("n", ("p", "old"), {"old/metrics.yaml": ("my", "1"), "p/dvc.lock": ("l", "1")}),
    ]
    memo = sources.Sources(dvc_decl, manifests)
    for model, dirs, files in versions * 2:
        alone = sources.sources(files, dirs, dvc_decl, manifests)
        assert memo.of(model, files, dirs) == alone
    assert [b for _r, _p, b in memo.of("m", versions[1][2], ("m",))] == ["j1", "man1", "s2"]
    templated = {"dvcyaml": (["p/other.json"], [])}  # this version's expansion says otherwise
    files = {"p/dvc.yaml": ("dvcyaml", "1"), "p/other.json": ("x", "1")}
    assert memo.of("n", files, ("p",), templated) == [("metrics", "p/other.json", "x")]
