"""``-C URL``: a repository read from a cached partial clone (``store/remote_repo.py``).

Real bare repositories served by ``file://`` URLs (``uploadpack.allowFilter`` and
``uploadpack.allowAnySHA1InWant`` on, as a forge serves them); the cache lives in a
temporary ``$XDG_CACHE_HOME``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tui_support import build_tiny_repo, commit, git, run_async, screen_text, settle
from tui_support import write as write_file

from modeltrail.store import remote_repo
from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.remote_repo import cache_path, open_location
from modeltrail.store.write.rollback import plan_rollback
from modeltrail.store.write.rollback_apply import apply_plan
from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.cli import main


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(root))
    return root


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """The team's repository: GTO artifact churn (prod v1.1.0, staging v1.2.0) and a
    manifest model ranker with two versions."""
    src = build_tiny_repo(tmp_path / "src")
    for version, date in (("1.0.0", "2026-03-11T10:00:00Z"), ("1.1.0", "2026-03-12T10:00:00Z")):
        write_file(src, "models/ranker/model.yaml", f"name: ranker\nversion: {version}\n")
        write_file(src, "models/ranker/weights.bin", f"w {version}\n")
        commit(src, f"ranker {version}", date)
    return src


@pytest.fixture
def server(tmp_path: Path, src: Path) -> Path:
    """The server's bare copy of ``src``, served as a forge would (filters, any id)."""
    target = tmp_path / "server" / "models.git"
    target.parent.mkdir()
    git(tmp_path, "clone", "-q", "--bare", str(src), str(target))
    git(target, "config", "uploadpack.allowFilter", "true")
    git(target, "config", "uploadpack.allowAnySHA1InWant", "true")
    git(src, "remote", "add", "server", str(target))
    return target


def url_of(server: Path) -> str:
    return f"file://{server}"


def cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def json_of(capsys: pytest.CaptureFixture, *args: str):
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    return json.loads(out)


READS = (
    ("models", "--json"),
    ("versions", "churn", "--json"),
    ("versions", "ranker", "--json"),
    ("diff", "churn", "v1.0.0", "v1.2.0", "--json"),
)


def test_read_commands_by_url_equal_the_same_on_a_local_clone(
    tmp_path: Path, server: Path, cache: Path, capsys: pytest.CaptureFixture
) -> None:
    local = tmp_path / "local"
    git(tmp_path, "clone", "-q", "--bare", str(server), str(local))
    for args in READS:
        assert json_of(capsys, "-C", url_of(server), *args) == json_of(
            capsys, "-C", str(local), *args
        ), args
    copy = cache_path(url_of(server))
    assert copy.parent == cache / "modeltrail" / "repos"
    assert git(copy, "config", "remote.origin.partialclonefilter").strip() == "blob:none"
    assert git(copy, "rev-parse", "--is-bare-repository").strip() == "true"
    assert not (server / "modeltrail").exists()  # nothing written on the server


def test_the_index_fetches_blobs_in_batches_not_one_by_one(
    server: Path, cache: Path, capsys: pytest.CaptureFixture
) -> None:
    json_of(capsys, "-C", url_of(server), "models", "--json")
    packs = list((cache_path(url_of(server)) / "objects" / "pack").glob("*.promisor"))
    blobs = git(cache_path(url_of(server)), "cat-file", "--batch-all-objects", "--batch-check")
    read = sum(1 for line in blobs.splitlines() if " blob " in line)
    assert read >= 10  # the index read that many blobs...
    assert len(packs) <= 3  # ...in the clone's pack and one or two fetches, not one each


def test_a_second_run_fetches_new_commits_and_tags(
    src: Path, server: Path, cache: Path, capsys: pytest.CaptureFixture
) -> None:
    before = json_of(capsys, "-C", url_of(server), "versions", "ranker", "--json")
    write_file(src, "models/ranker/model.yaml", "name: ranker\nversion: 1.2.0\n")
    commit(src, "ranker 1.2.0", "2026-03-13T10:00:00Z")
    git(src, "push", "-q", "server", "main")
    after = json_of(capsys, "-C", url_of(server), "versions", "ranker", "--json")
    assert len(after) == len(before) + 1
    assert "1.2.0" in {v["version"] for v in after}


def test_offline_answers_from_the_cache_and_says_how_old_it_is(
    tmp_path: Path, server: Path, cache: Path, capsys: pytest.CaptureFixture
) -> None:
    url = url_of(server)
    code, _, err = cli(capsys, "-C", url, "--offline", "models")
    assert code == 2 and "no cached copy" in err and "--offline" in err
    expected = json_of(capsys, "-C", url, "models", "--json")
    server.rename(tmp_path / "gone")  # the URL no longer answers
    code, out, err = cli(capsys, "-C", url, "--offline", "models", "--json")
    assert code == 0 and json.loads(out) == expected
    assert f"warning: offline: {url} as fetched just now" in err
    code, out, err = cli(capsys, "-C", url, "models", "--json")  # the fetch fails
    assert code == 0 and json.loads(out) == expected
    assert f"warning: could not fetch {url} (" in err
    assert "using the copy fetched just now" in err


def test_branch_rollback_and_checkout_need_a_work_tree(
    server: Path, cache: Path, capsys: pytest.CaptureFixture
) -> None:
    url = url_of(server)
    for args in (
        ("rollback", "ranker", "--to", "1.0.0", "--branch", "main", "--yes", "--reason", "r"),
        ("checkout", "ranker", "1.0.0"),
    ):
        code, out, err = cli(capsys, "-C", url, *args)
        assert code == 1, (args, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "needs a work tree: clone " in lines[0], err
        assert url in lines[0]


def test_a_stage_rollback_pushes_exactly_its_tag(
    server: Path, cache: Path, capsys: pytest.CaptureFixture
) -> None:
    url = url_of(server)
    before = git(server, "for-each-ref", "--format=%(refname) %(objectname)").splitlines()
    code, out, err = cli(
        capsys,
        "-C",
        url,
        "rollback",
        "churn",
        "--stage",
        "prod",
        "--to",
        "v1.0.0",
        "--yes",
        "--reason",
        "bad auc",
    )
    assert code == 0, err
    after = git(server, "for-each-ref", "--format=%(refname) %(objectname)").splitlines()
    new = sorted(set(after) - set(before))
    assert [n.split()[0] for n in new] == ["refs/tags/churn#prod#2"]
    assert set(before) <= set(after)  # nothing else moved
    copy = cache_path(url)
    assert git(copy, "rev-parse", "refs/tags/churn#prod#2").strip() == new[0].split()[1]
    models = {m["name"]: m for m in json_of(capsys, "-C", url, "models", "--json")}
    assert models["churn"]["stages"]["prod"] == "v1.0.0"


def test_a_rejected_push_leaves_no_local_tag(server: Path, cache: Path) -> None:
    url = url_of(server)
    repo = open_location(url, offline=False).repo
    update_catalog(repo)
    con = open_catalog(repo)
    try:
        plan = plan_rollback(repo, con, "churn", "v1.0.0", stage="prod", reason="r")
    finally:
        con.close()
    # a colleague takes the same tag name on the server meanwhile
    git(server, "tag", "-a", "-m", "theirs", plan.tag, "main")
    result = apply_plan(repo, plan, push=True)
    assert result.pushed_to is None
    assert "deleted from the cached copy again: nothing changed" in result.push_error
    copy = cache_path(url)
    assert git(copy, "tag", "--list", plan.tag).strip() == ""
    assert git(server, "cat-file", "-p", plan.tag).strip().endswith("theirs")


@pytest.mark.parametrize(
    "url",
    [
        "-oProxyCommand=touch /tmp/pwned",
        "--upload-pack=touch x",
        "ext::sh -c touch% /tmp/pwned",
        "ext::sh",
        "fd::3",
        "ssh://-oProxyCommand=x/repo",
        "-host:repo",
        "foo://host/repo",
    ],
)
def test_hostile_urls_are_refused_before_git_sees_them(
    url: str, cache: Path, capsys: pytest.CaptureFixture
) -> None:
    code, out, err = cli(capsys, f"-C{url}", "models")  # attached: argparse takes a leading -
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "refused URL" in err
    assert not cache.exists()


def test_the_cache_name_carries_no_password_and_differs_per_url() -> None:
    a = remote_repo.cache_name("https://user:s3cret@example.com/team/models.git")
    b = remote_repo.cache_name("https://example.com/team/models.git")
    assert "s3cret" not in a and "user" not in a
    assert a != b and a.startswith("example.com_team_models.git-")
    assert remote_repo.is_url("git@example.com:team/models.git")
    assert not remote_repo.is_url("/some/local/path")


@run_async
async def test_the_tui_status_bar_says_how_old_an_offline_copy_is_and_F_fetches(
    server: Path, cache: Path
) -> None:
    url = url_of(server)
    open_location(url, offline=False)
    opened = open_location(url, offline=True)
    app = ModeltrailApp(str(opened.repo.git_dir), index=False, location_note=opened.note)
    async with app.run_test(size=(240, 24)) as pilot:
        await settle(pilot)
        status = screen_text(app).splitlines()[-2]
        assert f"⚠ offline: copy of {url} · fetched just now" in status, status
        await pilot.press("F")
        await settle(pilot)
        status = screen_text(app).splitlines()[-2]
        assert "⚠" not in status and f"copy of {url} · fetched just now" in status, status


def test_an_offline_rollback_by_url_is_refused_before_writing(
    server: Path, cache: Path, capsys: pytest.CaptureFixture
) -> None:
    url = url_of(server)
    json_of(capsys, "-C", url, "models", "--json")
    before = git(cache_path(url), "for-each-ref").strip()
    code, _, err = cli(
        capsys,
        "-C",
        url,
        "--offline",
        "rollback",
        "churn",
        "--stage",
        "prod",
        "--to",
        "v1.0.0",
        "--yes",
        "--reason",
        "r",
    )
    assert code == 1 and "run it without --offline (nothing was written)" in err, err
    assert git(cache_path(url), "for-each-ref").strip() == before
