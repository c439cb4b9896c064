"""``replykit train`` and ``replykit analyze`` through the entry point, with the fake embedder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from suggest.analysis.heads import WEIGHTS_FILE
from suggest.analysis.intent import IntentModel
from suggest.models.manifest import MANIFEST_NAME
from tests.analysis_helpers import (
    INTENT_EXAMPLES,
    OUT_OF_SCOPE_EXAMPLES,
    SMALL_OPTIONS,
    embed,
    fake_embedder,
    trained_intent,
)
from tests.cli_helpers import fake_backend, run_main  # noqa: F401
from training.intent import save_intent

pytestmark = pytest.mark.usefixtures("fake_backend")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-model") / "intent"
    save_intent(folder, trained_intent(), fake_embedder(), SMALL_OPTIONS, {"file": "small.csv"})
    return folder


def write_training_csv(path: Path, *, label_column: str = "label") -> Path:
    lines = [f"id,body,{label_column}"]
    lines += [
        f"{label}-{i},{text},{label}"
        for label, texts in INTENT_EXAMPLES.items()
        for i, text in enumerate(texts)
    ]
    lines += [f"oos-{i},{text},none" for i, text in enumerate(OUT_OF_SCOPE_EXAMPLES)]
    lines.append("empty-1,,refund")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any] | str]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- replykit train -----------------------------------------------------------------------------


def test_train_writes_a_checksummed_model_folder(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = write_training_csv(tmp_path / "small.csv")
    out = tmp_path / "models" / "intent"
    code, err = run_main(
        monkeypatch,
        capsys,
        "train",
        "--data",
        str(data),
        "--text-col",
        "body",
        "--label-col",
        "label",
        "--out",
        str(out),
    )
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST_NAME, WEIGHTS_FILE]
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["kind"] == "intent"
    assert manifest["head"]["labels"] == ["delivery", "invoice", "password", "refund", "out_of_scope"]
    source = manifest["training"]["source"]
    assert source["file"] == "small.csv" and source["text_col"] == "body" and source["label_col"] == "label"
    assert source["skipped_rows"] == 1
    assert manifest["training"]["report"]["out_of_scope_examples"] == len(OUT_OF_SCOPE_EXAMPLES)
    model = IntentModel.load(out, fake_embedder())
    [result] = model.predict(embed(["please refund my money now"]), ["please refund my money now"])
    assert result.label == "refund"


def test_train_with_a_missing_label_column_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = write_training_csv(tmp_path / "small.csv", label_column="intent")
    out = tmp_path / "model"
    code, err = run_main(
        monkeypatch,
        capsys,
        "train",
        "--data",
        str(data),
        "--text-col",
        "body",
        "--label-col",
        "label",
        "--out",
        str(out),
    )
    assert code == 2
    message = " ".join(err.split())
    assert "small.csv has no column 'label'" in message
    assert "['body', 'id', 'intent']" in message
    assert "Traceback" not in err
    assert not out.exists()


def test_train_with_a_single_intent_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = tmp_path / "one.csv"
    data.write_text(
        "body,label\n" + "".join(f"refund order {i},refund\n" for i in range(6)), encoding="utf-8"
    )
    code, err = run_main(
        monkeypatch,
        capsys,
        "train",
        "--data",
        str(data),
        "--text-col",
        "body",
        "--label-col",
        "label",
        "--out",
        str(tmp_path / "model"),
    )
    assert code == 2
    assert "training needs at least 2 intents with examples; found 1" in " ".join(err.split())
    assert "Traceback" not in err
    assert not (tmp_path / "model").exists()


# --- replykit analyze ---------------------------------------------------------------------------


def test_analyze_writes_one_line_per_input_line_in_order(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, model_dir: Path
) -> None:
    tickets = write_jsonl(
        tmp_path / "tickets.jsonl",
        [
            {"id": "t1", "text": "my parcel delivery is late"},
            {"id": "t2", "text": ""},
            {"id": "t3", "text": "There is smoke coming out of my inverter", "customer_tier": "vip"},
            "{broken json",
            {"id": "t5", "text": "Hallo, mijn pakket is nog niet bezorgd. Wanneer komt het pakket aan?"},
        ],
    )
    output = tmp_path / "out" / "analysed.jsonl"
    code, err = run_main(
        monkeypatch,
        capsys,
        "analyze",
        "--input",
        str(tickets),
        "--output",
        str(output),
        "--model",
        str(model_dir),
    )
    assert code == 0, err
    records = read_jsonl(output)
    assert len(records) == 5
    assert [r.get("id") for r in records][::2] == ["t1", "t3", "t5"]

    first, empty, smoke, broken, dutch = records
    assert first["intent"]["label"] == "delivery"
    assert {"language", "intent", "sentiment", "emotions", "escalation", "notes"} <= set(first)
    assert set(empty) == {"id", "location", "error"}
    assert empty["location"] == "tickets.jsonl:2"
    assert "'text' is missing or empty" in empty["error"]
    assert smoke["escalation"]["priority"] == "urgent"
    assert {r["code"] for r in smoke["escalation"]["reasons"]} >= {"safety_hazard", "vip_customer"}
    assert set(broken) == {"id", "location", "error"}
    assert broken["location"] == "tickets.jsonl:4" and "not valid JSON" in broken["error"]
    assert dutch["language"] == "nl"


def test_analyze_prints_a_summary(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, model_dir: Path
) -> None:
    tickets = write_jsonl(
        tmp_path / "tickets.jsonl",
        [{"id": "a", "text": "There is smoke coming out of my inverter"}, {"id": "b", "text": " "}],
    )
    output = tmp_path / "analysed.jsonl"
    monkeypatch.setattr(
        "sys.argv",
        ["replykit", "analyze", "--input", str(tickets), "--output", str(output), "--model", str(model_dir)],
    )
    from api.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code in (0, None)
    out = " ".join(capsys.readouterr().out.split())
    assert "2 ticket(s) written to" in out
    assert "1 escalated, 1 with errors" in out


def test_analyze_reads_csv_with_named_columns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, model_dir: Path
) -> None:
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(
        "ref,message,tier,messages\nA-1,I forgot my password,,1\nA-2,my parcel delivery is late,,3\n",
        encoding="utf-8",
    )
    output = tmp_path / "analysed.jsonl"
    code, err = run_main(
        monkeypatch,
        capsys,
        "analyze",
        "--input",
        str(tickets),
        "--output",
        str(output),
        "--model",
        str(model_dir),
        "--id-col",
        "ref",
        "--text-col",
        "message",
        "--tier-col",
        "tier",
        "--thread-count-col",
        "messages",
    )
    assert code == 0, err
    first, second = read_jsonl(output)
    assert (first["id"], first["intent"]["label"]) == ("A-1", "password")
    assert (second["id"], second["intent"]["label"]) == ("A-2", "delivery")
    assert "repeat_contact" in {r["code"] for r in second["escalation"]["reasons"]}


def test_analyze_refuses_an_unsupported_input_type(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, model_dir: Path
) -> None:
    tickets = tmp_path / "tickets.txt"
    tickets.write_text("my parcel delivery is late\n", encoding="utf-8")
    code, err = run_main(
        monkeypatch,
        capsys,
        "analyze",
        "--input",
        str(tickets),
        "--output",
        str(tmp_path / "out.jsonl"),
        "--model",
        str(model_dir),
    )
    assert code == 2
    message = " ".join(err.split())
    assert "tickets.txt: unsupported file type '.txt'; expected .jsonl, .ndjson or .csv" in message
    assert "Traceback" not in err


def test_analyze_with_a_model_for_another_embedder_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from suggest.embed.fake import HashingEmbedder

    folder = tmp_path / "other-model"
    save_intent(folder, trained_intent(), HashingEmbedder(dim=256), SMALL_OPTIONS, {})
    tickets = write_jsonl(tmp_path / "tickets.jsonl", [{"id": "a", "text": "hello there"}])
    code, err = run_main(
        monkeypatch,
        capsys,
        "analyze",
        "--input",
        str(tickets),
        "--output",
        str(tmp_path / "out.jsonl"),
        "--model",
        str(folder),
    )
    assert code == 2
    assert "Retrain it with `replykit train`" in " ".join(err.split())
    assert "Traceback" not in err


def test_an_unsupported_input_leaves_an_existing_output_untouched(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, model_dir: Path
) -> None:
    tickets = tmp_path / "tickets.txt"
    tickets.write_text("my parcel delivery is late\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    output.write_text('{"id": "earlier run"}\n', encoding="utf-8")
    code, _ = run_main(
        monkeypatch,
        capsys,
        "analyze",
        "--input",
        str(tickets),
        "--output",
        str(output),
        "--model",
        str(model_dir),
    )
    assert code == 2
    assert output.read_text(encoding="utf-8") == '{"id": "earlier run"}\n'


def test_the_error_record_of_a_row_without_text_keeps_its_id(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, model_dir: Path
) -> None:
    tickets = write_jsonl(tmp_path / "tickets.jsonl", [{"id": "t1", "text": "  "}])
    output = tmp_path / "out.jsonl"
    code, _ = run_main(
        monkeypatch,
        capsys,
        "analyze",
        "--input",
        str(tickets),
        "--output",
        str(output),
        "--model",
        str(model_dir),
    )
    assert code == 0
    [record] = read_jsonl(output)
    assert record["id"] == "t1"


def test_analyze_without_a_trained_model_still_escalates(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    tickets = write_jsonl(
        tmp_path / "tickets.jsonl", [{"id": "a", "text": "There is smoke coming out of my inverter"}]
    )
    output = tmp_path / "out.jsonl"
    code, err = run_main(monkeypatch, capsys, "analyze", "--input", str(tickets), "--output", str(output))
    assert code == 0, err
    [record] = read_jsonl(output)
    assert record["intent"]["label"] is None
    assert "no intent model is trained yet" in record["intent"]["reason"]
    assert record["escalation"]["priority"] == "urgent"
    assert record["model"]["intent"] == "none"
