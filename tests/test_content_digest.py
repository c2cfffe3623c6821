"""A version's content digest: one id for its files, computed by DuckDB from the
catalog's own rows, the same for a full index and an incremental one."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from gitbuilder import GitRepo

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.repo import open_repo

ARTIFACTS = "churn:\n  type: model\n  path: models/churn/model.pkl\n"


def _digest(files: dict[str, str]) -> str:
    """The documented digest: sha256 of each ``path NUL blob NUL``, in path order."""
    text = "".join(f"{p}\0{b}\0" for p, b in sorted(files.items(), key=lambda x: x[0].encode()))
    return hashlib.sha256(text.encode()).hexdigest()


def _versions(path: Path) -> list[tuple[str, str | None, dict[str, str]]]:
    con = open_catalog(open_repo(path))
    try:
        rows = con.execute(
            "SELECT mc.commit, mc.content, "
            "  (SELECT list(struct_pack(p := v.path, b := v.blob)) FROM version_files v "
            "   WHERE v.model = mc.model AND v.commit = mc.commit) "
            "FROM model_commits mc JOIN commits c USING (commit) ORDER BY c.topo"
        ).fetchall()
    finally:
        con.close()
    return [(c, d, {f["p"]: f["b"] for f in files or []}) for c, d, files in rows]


def test_the_content_digest_is_sha256_of_the_files_in_path_order_both_ways(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "repo")
    r.commit(
        "first",
        {
            "artifacts.yaml": ARTIFACTS,
            "models/churn/metrics.json": json.dumps({"auc": 0.8}),
            "models/churn/model.pkl": "weights-1",
            "models/churn/Ä.txt": "non-ascii name",
        },
    )
    update_catalog(open_repo(r.path), rebuild=True)
    r.commit("retrain", {"models/churn/metrics.json": json.dumps({"auc": 0.9})})
    r.commit("back", {"models/churn/metrics.json": json.dumps({"auc": 0.8})})
    update_catalog(open_repo(r.path))  # incremental: the new versions' digests
    grown = _versions(r.path)
    update_catalog(open_repo(r.path), rebuild=True)
    full = _versions(r.path)
    assert grown == full
    assert [d for _c, d, _f in full] == [_digest(f) for _c, _d, f in full]
    first, second, third = (d for _c, d, _f in full)
    assert first == third != second  # equal files, equal digest
