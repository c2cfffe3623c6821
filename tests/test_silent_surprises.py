"""Surprises that used to pass silently now warn: duplicate keys in metrics/params
(JSON, YAML), a ``dvc.yaml`` ``foreach`` using an undefined ``${var}``, and a broken
``.modeltrail.toml`` on the command line (the TUI already said so)."""

from __future__ import annotations

from test_cli_hostile import _git

from modeltrail.store.read.readers.dvc import parse_dvc_yaml
from modeltrail.store.read.readers.structured import read_flat
from modeltrail.tui.cli import main


def test_duplicate_json_key_warns_and_last_wins():
    flat, warnings = read_flat(b'{"auc": 0.7, "loss": 1, "auc": 0.9}', "json")
    assert flat["auc"] == 0.9
    assert any("duplicate key" in w and "auc" in w for w in warnings), warnings


def test_duplicate_nested_json_key_warns():
    _flat, warnings = read_flat(b'{"test": {"auc": 0.7, "auc": 0.9}}', "json")
    assert any("duplicate key" in w and "auc" in w for w in warnings), warnings


def test_duplicate_yaml_key_warns_and_last_wins():
    flat, warnings = read_flat(b"lr: 0.1\nepochs: 3\nlr: 0.2\n", "yaml")
    assert flat["lr"] == 0.2
    assert any("duplicate key" in w and "lr" in w for w in warnings), warnings


def test_yaml_merge_override_is_not_a_duplicate():
    _flat, warnings = read_flat(b"base: &b {lr: 0.1}\nrun:\n  <<: *b\n  lr: 0.2\n", "yaml")
    assert not any("duplicate" in w for w in warnings), warnings


def test_no_warning_without_duplicates():
    assert read_flat(b'{"a": {"x": 1}, "b": {"x": 2}}', "json")[1] == []
    assert read_flat(b"a:\n  x: 1\nb:\n  x: 2\n", "yaml")[1] == []


DVC_YAML = b"""
vars:
  - models: [a, b]
stages:
  train:
    foreach: ${models}
    do:
      cmd: python train.py ${item} --seed ${seed}
      outs:
        - models/${item}/model.pkl
      metrics:
        - models/${item}/${undefined_dir}/metrics.json
"""


def test_dvc_foreach_with_an_undefined_var_warns():
    # params.yaml (DVC's default vars file) is read and defines neither: both are named;
    # without it nothing could tell, so nothing is said (it may define them)
    _dvc, warnings = parse_dvc_yaml(DVC_YAML, {"params.yaml": b"lr: 0.1\n"})
    text = " | ".join(warnings)
    assert "${seed}" in text and "${undefined_dir}" in text, warnings
    assert "${models}" not in text and "${item}" not in text
    assert parse_dvc_yaml(DVC_YAML)[1] == []


def test_dvc_foreach_with_defined_vars_is_quiet_about_them():
    _dvc, warnings = parse_dvc_yaml(
        b"stages:\n  t:\n    foreach: [a, b]\n    do:\n      cmd: run ${item} ${key}\n"
    )
    assert not any("not defined" in w for w in warnings), warnings


def test_broken_config_warns_on_the_command_line(tmp_path, capsys):
    root = tmp_path / "repo"
    (root / "models" / "m").mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main")
    (root / "models" / "m" / "model.yaml").write_text("name: m\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "one")
    (root / ".modeltrail.toml").write_text("main = [unclosed\n")
    assert main(["-C", str(root), "models"]) == 0
    out, err = capsys.readouterr()
    assert "m" in out.split()
    assert "warning" in err and ".modeltrail.toml" in err and "ignored" in err
