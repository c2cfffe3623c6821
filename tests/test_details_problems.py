"""A version whose metrics file cannot be read says so in its details, on every version
that still uses that file, instead of "Metrics none"."""

from __future__ import annotations

from gitbuilder import GitRepo
from tui_support import frozen_now, run_async, screen_text, settle, wait_for_text

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.query.queries import version_detail
from modeltrail.store.repo import open_repo
from modeltrail.tui.app import ModeltrailApp

BROKEN = '{"auc": 0.8,\n "f1": \n'


def _repo(tmp_path):
    r = GitRepo(tmp_path / "repo")
    v1 = r.commit(
        "v1",
        {
            "m/model.yaml": "name: m\nversion: 1.0.0\n",
            "m/metrics.json": BROKEN,
            "m/params.yaml": "lr: 0.1\n",
        },
    )
    v2 = r.commit("v2", {"m/model.yaml": "name: m\nversion: 1.1.0\n", "m/params.yaml": "lr: 2\n"})
    update_catalog(open_repo(r.path))
    return r, v1, v2


def test_every_version_using_a_broken_file_lists_its_problem(tmp_path):
    r, v1, v2 = _repo(tmp_path)
    con = open_catalog(open_repo(r.path), refresh=False)
    for commit in (v1, v2):
        problems = version_detail(con, "m", commit)["warnings"]
        assert [(w["path"], w["role"]) for w in problems] == [("m/metrics.json", "metrics")]
        assert "invalid JSON at line 3" in problems[0]["message"]
    con.close()


@run_async
async def test_the_details_say_why_there_are_no_metrics(tmp_path):
    r, _v1, _v2 = _repo(tmp_path)
    app = ModeltrailApp(str(r.path), index=False, now=frozen_now)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        text = await wait_for_text(pilot, "invalid JSON at line 3")
        metrics_at = text.index("Metrics")
        assert "⚠ m/metrics.json: invalid JSON at line 3" in text[metrics_at:]
        assert "none" not in text[metrics_at : metrics_at + 120]
        assert "1.1.0" in screen_text(app)
