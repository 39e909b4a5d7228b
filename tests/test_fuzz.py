"""Fuzzing the two places that take anything a user or a file gives: the magics' arguments
and the ledger reader. No traceback may escape (a wrong argument is a one-line UsageError),
metering never changes the cell's value, and no valid record is lost to a bad neighbour."""

import json
import os
import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from test_report import record

from jupyter_carbon.ledger import read_ledger
from jupyter_carbon.records import CellRecord
from jupyter_carbon.report import FORMATS, Report, render, summary_text


FUZZ = settings(max_examples=int(os.environ.get("JUPYTER_CARBON_FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

WORDS = st.sampled_from([
    "status", "summary", "help", "on", "off", "region", "pue", "devices", "estimate", "reset", "sumary",
    "--top", "--ledger", "previous", "/dev/zero", "-q", "-r", "-o", "--region", "--output", "--quiet", "FR", "CA-QC",
    "aws:eu-west-3", "nowhere", "rec", "print", "__builtins__", "class", "0", "-1", "1e308", "nan", "inf", "1.2",
    "'", '"', "'FR", "\\", "--", "-", "--power", "--hours", "--intensity", "--help", "-h", "é", "\x00",
])  # fmt: skip
LINES = st.lists(st.one_of(WORDS, st.text(max_size=8)), max_size=6).map(" ".join)


@FUZZ
@given(line=LINES)
def test_carbon_line_magic_never_raises_but_usage_errors(shell, line):
    with capture_output():
        try:
            shell.run_line_magic("carbon", line)
        except UsageError as err:
            assert "\n" not in str(err).strip() or "usage:" in str(err)


@FUZZ
@given(options=LINES)
def test_carbon_cell_magic_never_changes_the_cell(shell, options):
    options = " ".join(options.splitlines())  # one line: a form feed or \x85 would end it
    with capture_output():
        result = shell.run_cell(f"%%carbon -q {options}\n6 * 7", store_history=True)
        after = shell.run_cell("1 + 1", store_history=True)
    error = result.error_in_exec or result.error_before_exec
    assert error is None or isinstance(error, UsageError), repr(error)
    if error is None:
        assert result.result == 42
    assert after.result == 2 and after.error_in_exec is None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
FIELDS = st.sampled_from(sorted(CellRecord.__dataclass_fields__) + ["intensity.g_per_kwh", "intensity.zone"])


def mutated(base: dict, changes: list) -> dict:
    data = json.loads(json.dumps(base))
    for field, value in changes:
        if field.startswith("intensity."):
            if isinstance(data.get("intensity"), dict):
                data["intensity"][field.split(".", 1)[1]] = value
        else:
            data[field] = value
    return data


@FUZZ
@given(
    bad=st.lists(st.lists(st.tuples(FIELDS, JSON), min_size=1, max_size=3), max_size=6),
    junk=st.lists(JSON | st.text(max_size=20), max_size=3),
    header=st.dictionaries(st.sampled_from(["session_id", "started_at", "pid", "type"]), JSON, max_size=4),
)
def test_ledger_reading_loses_no_good_record_and_never_raises(tmp_path_factory, bad, junk, header):
    path = tmp_path_factory.mktemp("fuzz") / "s.jsonl"
    good = [record(i, 10.0 * i).to_dict() for i in range(1, 4)]
    lines = [json.dumps({**header, "type": "session"})]
    for i, g in enumerate(good):
        lines.append(json.dumps(g))
        lines += [json.dumps(mutated(good[0], changes)) for changes in bad[i::3]]
        lines += [j if isinstance(j, str) else json.dumps(j) for j in junk[i::3]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    logging.getLogger("jupyter_carbon").setLevel(logging.ERROR)
    try:
        contents = read_ledger(path)
    finally:
        logging.getLogger("jupyter_carbon").setLevel(logging.NOTSET)
    kept = [r.to_dict() for r in contents.records]
    assert [g for g in good if g in kept] == good  # every good record, in order
    report = Report.from_ledger(contents)
    for fmt in FORMATS:
        render(report, fmt)
    summary_text(report)
