"""``dleverage active-learning`` end to end on digits."""

from __future__ import annotations

import csv
import json

from dleverage.cli.main import main


def test_two_round_run_writes_all_outputs(tmp_path, capsys):
    out = tmp_path / "results"
    code = main(
        [
            "active-learning",
            "--dataset",
            "digits",
            "--rounds",
            "2",
            "--seeds",
            "2",
            "--batch-size",
            "4",
            "--initial",
            "30",
            "--strategies",
            "random",
            "margin",
            "ridge_leverage",
            "margin_leverage",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "learning_curves.png",
        "picks.csv",
        "rounds.csv",
        "run.json",
        "summary.csv",
        "summary.md",
    ]
    with open(out / "rounds.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["strategy", "seed", "round", "n_labeled", "accuracy"]
    # 4 strategies x 2 seeds x (initial round + 2 query rounds).
    assert len(rows) == 24
    assert {int(r["n_labeled"]) for r in rows} == {30, 34, 38}
    with open(out / "picks.csv") as handle:
        picks = list(csv.DictReader(handle))
    assert len(picks) == 4 * 2 * 2 * 4
    assert (out / "learning_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (out / "summary.md").read_text()
    assert "| ridge_leverage |" in summary
    assert "split seed 0" in summary
    metadata = json.loads((out / "run.json").read_text())
    assert metadata["split_seed"] == 0
    assert metadata["rounds"] == 2
    assert "wall time" in capsys.readouterr().out


def test_protocol_too_large_exits_2(tmp_path, capsys):
    code = main(
        [
            "active-learning",
            "--dataset",
            "digits",
            "--rounds",
            "1000",
            "--strategies",
            "random",
            "--out",
            str(tmp_path / "r"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "The protocol labels 5100 points" in err
    assert "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_unknown_strategy_exits_2(tmp_path, capsys):
    code = main(
        [
            "active-learning",
            "--dataset",
            "digits",
            "--strategies",
            "bald",
            "--out",
            str(tmp_path / "r"),
        ]
    )
    assert code == 2
    assert "Unknown strategy 'bald'" in capsys.readouterr().err


def test_first_seed_repeats_that_trial(tmp_path):
    # Seed 1 alone, from --first-seed 1, repeats seed 1 of a run from seed 0, so
    # held-out seeds pair with earlier runs.
    protocol = ["--rounds", "1", "--batch-size", "3", "--initial", "20"]
    common = ["active-learning", "--dataset", "digits", *protocol]
    strategies = ["--strategies", "margin_leverage"]
    both, second = tmp_path / "both", tmp_path / "second"
    assert main([*common, *strategies, "--seeds", "2", "--out", str(both)]) == 0
    assert (
        main(
            [*common, *strategies, "--seeds", "1", "--first-seed", "1"]
            + ["--out", str(second)]
        )
        == 0
    )
    with open(both / "rounds.csv") as handle:
        expected = [r for r in csv.DictReader(handle) if r["seed"] == "1"]
    with open(second / "rounds.csv") as handle:
        assert list(csv.DictReader(handle)) == expected
    assert json.loads((second / "run.json").read_text())["first_seed"] == 1
    assert "3, seed 1" in (second / "summary.md").read_text()


def test_negative_first_seed_exits_2(tmp_path, capsys):
    code = main(
        ["active-learning", "--dataset", "digits", "--first-seed", "-1"]
        + ["--out", str(tmp_path / "r")]
    )
    assert code == 2
    assert "Invalid first_seed=-1: expected >= 0." in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def run_digits(out, *extra):
    """Run a one-round digits experiment; return the exit code."""
    return main(
        ["active-learning", "--dataset", "digits", "--rounds", "1", "--seeds", "1"]
        + ["--strategies", "random", "--out", str(out), *extra]
    )


def test_out_file_exits_2_early(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("keep me")
    assert run_digits(target) == 2
    err = capsys.readouterr().err
    assert "is an existing file. Pass a folder path." in err
    assert "Traceback" not in err
    assert target.read_text() == "keep me"


def test_empty_results_path_exits_2(tmp_path, capsys):
    assert run_digits("") == 2
    assert "The results folder is empty ('')" in capsys.readouterr().err


def test_out_with_result_named_folder(tmp_path, capsys):
    out = tmp_path / "results"
    (out / "summary.md").mkdir(parents=True)
    assert run_digits(out) == 2
    assert "is a folder, where the result file summary.md goes" in (
        capsys.readouterr().err
    )
    assert sorted(p.name for p in out.iterdir()) == ["summary.md"]


def test_negative_split_seed_exits_2(tmp_path, capsys):
    assert run_digits(tmp_path / "r", "--split-seed", "-1") == 2
    assert "Invalid split seed -1" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
