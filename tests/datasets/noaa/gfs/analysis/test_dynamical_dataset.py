from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datasets.common.sources.fetch import configure_fetch
from datasets.common.sources.noaa_idx import forecast_text, parse_idx, select_message
from datasets.common.sources.synthetic_archive import gfs_relative_path
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gfs.analysis.template_config import GFS_ANALYSIS_DATA_VARS, GfsAnalysisDataVar
from pipelines.demo.range_server import RangeServer, parse_range
from pipelines.local import run_local
from steps.context import StepContext
from steps.join import join
from steps.plan import plan
from steps.run_request import RunRequest
from steps.validate import validate
from steps.write import write
from tests.support.archive_fixtures import TEST_FETCH_SETTINGS
from tests.support.gfs_analysis_archive import (
    expected_analysis_values,
    small_grid_analysis_dataset,
    source_of,
    write_analysis_archive,
)
from tests.support.runs import read_main

START = timestamp("2021-05-01T00:00")
INITS = list(pd.date_range(START - timedelta("6h"), periods=5, freq="6h"))
LATE_FILE = (INITS[3], timedelta("2h"))  # 14:00, the last time the backfill publishes


def requested_bytes(server: RangeServer) -> dict[str, set[int]]:
    """The byte offsets of each GRIB file the server sent (indexes left out)."""
    sent: dict[str, set[int]] = {}
    for request in server.requests:
        file = server.root / request.path
        if request.method != "GET" or request.path.endswith(".idx") or not file.exists():
            continue
        size = file.stat().st_size
        byte_range = parse_range(request.range, size) if request.range else (0, size - 1)
        assert byte_range is not None
        sent.setdefault(request.path, set()).update(range(byte_range[0], byte_range[1] + 1))
    return sent


def needed_bytes(archive: Path, times: Sequence[pd.Timestamp], padding_time: pd.Timestamp) -> dict[str, set[int]]:
    """The bytes of the messages the analysis needs for `times` (plus the windows' predecessor at padding_time)."""
    wanted: dict[str, list[GfsAnalysisDataVar]] = {}
    instant = [v for v in GFS_ANALYSIS_DATA_VARS if v.internal_attrs.window_kind is None]
    windowed = [v for v in GFS_ANALYSIS_DATA_VARS if v.internal_attrs.window_kind is not None]
    predecessors = [v for v in windowed if v.internal_attrs.deaccumulate_to_rate or v.internal_attrs.deaverage]
    for time in times:
        wanted.setdefault(gfs_relative_path(*source_of(time, False)), []).extend(instant)
        wanted.setdefault(gfs_relative_path(*source_of(time, True)), []).extend(windowed)
    wanted.setdefault(gfs_relative_path(*source_of(padding_time, True)), []).extend(predecessors)
    needed: dict[str, set[int]] = {}
    for path, variables in wanted.items():
        messages = parse_idx((archive / (path + ".idx")).read_text())
        lead = timedelta(path.rsplit(".f", 1)[1] + "h")
        size = (archive / path).stat().st_size
        for var in variables:
            attrs = var.internal_attrs
            forecast = forecast_text(lead, attrs.window_kind, attrs.window_reset_hours)
            message = select_message(messages, attrs.grib_element, attrs.grib_index_level, forecast)
            needed.setdefault(path, set()).update(range(message.start, message.end or size))
    return needed


def grib_paths(init: pd.Timestamp, hours: range) -> set[str]:
    return {gfs_relative_path(init, timedelta(f"{h}h")) for h in hours}


@pytest.mark.slow
def test_update_fetches_only_new_hours_and_publishes_atomically(
    tmp_path: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    archive = tmp_path / "archive"
    write_analysis_archive(archive, INITS)
    configure_fetch(TEST_FETCH_SETTINGS.model_copy(update={"coalesce_bytes": 0}))  # exact byte ranges
    late = archive / gfs_relative_path(*LATE_FILE)
    late.rename(late.with_suffix(".late"))
    server = http_archive(archive)
    dataset = small_grid_analysis_dataset(tmp_path / "template", server.base_url)
    store_url = str(tmp_path / "store.icechunk")
    context = StepContext.create(dataset, store_url)
    run_local(
        context,
        RunRequest(operation="backfill", run_id="b", append_dim_end=START + timedelta("15h")),
        show_progress=False,
    )
    before = read_main(store_url)
    assert before.sizes["time"] == 15
    backfill_bytes = sum(map(len, requested_bytes(server).values()))

    late.with_suffix(".late").rename(late)
    server.requests.clear()
    plan(context, RunRequest(operation="update", run_id="u"), now=START + timedelta("20h10min"))
    write(context, run_id="u", worker_index=0)
    unpublished = read_main(store_url)
    for name in before.data_vars:
        np.testing.assert_array_equal(unpublished[name].values, before[name].values, err_msg=str(name))
    summary = join(context, run_id="u")

    assert summary.published
    ds = read_main(store_url)
    times = list(pd.DatetimeIndex(ds["time"].values))
    assert times == list(pd.date_range(START, periods=21, freq="1h"))

    def available(init: pd.Timestamp, lead: pd.Timedelta) -> bool:
        return init in INITS and lead <= timedelta("6h")

    for var in GFS_ANALYSIS_DATA_VARS:
        expected = expected_analysis_values(var, times, available, START)
        np.testing.assert_array_equal(ds[var.name].values, expected, err_msg=var.name)
    # 14:00 lacked values, so it is fetched again (with 13:00 as the windows' predecessor); 15-20 are new.
    # Nothing else of the trailing shard (12:00 onward) is downloaded again, and only the needed messages.
    sent = requested_bytes(server)
    assert set(sent) == grib_paths(INITS[3], range(1, 7)) | grib_paths(INITS[4], range(3))
    assert sent == needed_bytes(archive, times[14:], padding_time=times[13])
    update_bytes = sum(map(len, sent.values()))
    assert update_bytes < backfill_bytes * 8 / 15  # 7 of the backfill's 15 hours, and a few predecessor fields

    report = validate(context, now=START + timedelta("21h15min"))
    assert report.passed, [r.message for r in report.failures]
    assert not validate(context, now=START + timedelta("22h15min")).passed  # 21:00 is due and missing
