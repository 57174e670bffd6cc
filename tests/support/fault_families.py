"""One small archive per source family (NOAA `.idx`, ECMWF `.index`, DWD whole files) with two instant variables, a
way to process it, the file a fault is aimed at, and the archive damage each family can suffer.

Instant variables only: no transform reaches across lead times, so a fault's NaN cells are exactly its own."""

import bz2
import json
import shutil
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import xarray as xr

from datasets.common.region_job import RegionJob
from datasets.common.results import VariableResult, merge_results
from datasets.common.sources.synthetic_archive import gfs_relative_path
from datasets.common.timestamps import timedelta, timestamp
from datasets.dwd.icon_eu.forecast.template_config import ICON_EU_DATA_VARS
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS
from tests.support import dwd_archive, gfs_archive, ifs_ens_archive
from tests.support.ecmwf_archive import ecmwf_relative_stem
from tests.support.region_jobs import empty_store, stored

NAMES = ("temperature_2m", "wind_u_10m")
HIT = "wind_u_10m"  # the variable whose field the per-field faults damage


class FaultFamily(ABC):
    name: ClassVar[str]
    job_class: ClassVar[type[RegionJob[Any, Any]]]
    init: ClassVar[pd.Timestamp]
    lead: ClassVar[pd.Timedelta]  # of the file faults are aimed at

    def __init__(self, root: Path) -> None:
        self.archive = root / "archive"
        self.template_ds = self.build(root / "template")

    @abstractmethod
    def build(self, template_dir: Path) -> xr.Dataset:
        """Write the archive; return the template to process it into."""

    @abstractmethod
    def target(self, variable: str = HIT) -> str:
        """The path, below the archive root, of the data file holding `variable` at `lead`."""

    def index(self) -> str | None:
        """The path of the target's index (None: the family has none)."""
        return None

    def cells(self, name: str) -> tuple[int, ...]:
        """Where the target file's values of variable `name` are (init, lead)."""
        inits = pd.DatetimeIndex(self.template_ds["init_time"].values)
        leads = pd.TimedeltaIndex(self.template_ds["lead_time"].values)
        return (inits.get_loc(self.init), leads.get_loc(self.lead))

    @abstractmethod
    def all_data_vars(self) -> Sequence[Any]: ...

    def hit_cells(self) -> tuple[int, ...]:
        """Where the HIT field's values are."""
        return self.cells(HIT)

    def data_vars(self) -> Sequence[Any]:
        return [v for v in self.all_data_vars() if v.name in NAMES]

    def process(self, source_url: str) -> tuple[xr.Dataset, dict[str, VariableResult]]:
        store = empty_store(self.template_ds)
        jobs = self.job_class.get_jobs(self.template_ds, "init_time", self.data_vars(), source_url=source_url)
        results = merge_results(job.process([store]) for job in jobs)
        return stored(store), results

    @abstractmethod
    def drop_field(self, root: Path) -> None:
        """The target's index loses the HIT field (DWD: the file holds another variable's field)."""

    @abstractmethod
    def field_past_end(self, root: Path) -> None:
        """The target's index points the HIT field past the end of the file (DWD: the file is cut short)."""

    @abstractmethod
    def corrupt_field(self, root: Path) -> None:
        """The HIT field's message is damaged (its closing `7777` zeroed)."""


def zero_closing_marker(path: Path, end: int) -> None:
    data = bytearray(path.read_bytes())
    assert data[end - 4 : end] == b"7777"
    data[end - 4 : end] = b"\0\0\0\0"
    path.write_bytes(bytes(data))


class FewLeadsGfsTemplateConfig(gfs_archive.SmallGridTemplateConfig):
    """The GFS template on the test grid with only the lead times the archive has: no request for absent files."""

    leads: ClassVar[pd.TimedeltaIndex] = pd.TimedeltaIndex(pd.to_timedelta([0, 1, 2], unit="h"), name="lead_time")

    def dimension_coordinates(self) -> dict[str, Any]:
        return {**super().dimension_coordinates(), "lead_time": self.leads}


class NoaaFamily(FaultFamily):
    name = "noaa-idx"
    job_class = gfs_archive.SmallGridRegionJob
    init = timestamp("2021-05-01T00:00")
    lead = timedelta("1h")

    def build(self, template_dir: Path) -> xr.Dataset:
        gfs_archive.write_test_archive(self.archive, [self.init], list(FewLeadsGfsTemplateConfig.leads))
        config = FewLeadsGfsTemplateConfig(template_dir=template_dir)
        config.update_template()
        return config.get_template(self.init + timedelta("6h"))

    def all_data_vars(self) -> Sequence[Any]:
        return GFS_DATA_VARS

    def target(self, variable: str = HIT) -> str:
        return gfs_relative_path(self.init, self.lead)

    def index(self) -> str:
        return self.target() + ".idx"

    def _idx_lines(self, root: Path) -> tuple[Path, list[str], int]:
        idx = root / self.index()
        lines = idx.read_text().splitlines()
        return idx, lines, gfs_archive.idx_line(root / self.target(), "UGRD", "10 m above ground")

    def drop_field(self, root: Path) -> None:
        idx, lines, hit = self._idx_lines(root)
        idx.write_text("\n".join(lines[:hit] + lines[hit + 1 :]) + "\n")

    def field_past_end(self, root: Path) -> None:
        idx, lines, hit = self._idx_lines(root)
        fields = lines[hit].split(":")
        fields[1] = str((root / self.target()).stat().st_size + 1000)
        lines[hit] = ":".join(fields)
        idx.write_text("\n".join(sorted(lines, key=lambda line: int(line.split(":")[1]))) + "\n")

    def corrupt_field(self, root: Path) -> None:
        path = root / self.target()
        gfs_archive.corrupt_message(path, gfs_archive.idx_line(path, "UGRD", "10 m above ground"))


class EcmwfFamily(FaultFamily):
    name = "ecmwf-index"
    job_class = ifs_ens_archive.SmallGridRegionJob
    init = timestamp("2024-11-12T00:00")
    lead = timedelta("3h")
    member = 7  # whose HIT field the per-field faults damage

    def build(self, template_dir: Path) -> xr.Dataset:
        self.config = ifs_ens_archive.SmallGridTemplateConfig(
            template_dir=template_dir, lead_hours=(3,), append_dim_start=self.init
        )
        self.config.update_template()
        ifs_ens_archive.write_ifs_ens_archive(self.archive, self.data_vars(), [self.init], [self.lead])
        return self.config.get_template(self.init + timedelta("1D"))

    def all_data_vars(self) -> Sequence[Any]:
        return self.config.data_vars

    def target(self, variable: str = HIT) -> str:
        return ecmwf_relative_stem(self.init, self.lead) + ".grib2"

    def index(self) -> str:
        return ecmwf_relative_stem(self.init, self.lead) + ".index"

    def hit_cells(self) -> tuple[int, ...]:
        return (*self.cells(HIT), self.member)

    def _entries(self, root: Path) -> tuple[Path, list[dict[str, Any]], int]:
        index = root / self.index()
        entries = [json.loads(line) for line in index.read_text().splitlines()]
        hit = next(i for i, e in enumerate(entries) if e["param"] == "10u" and int(e.get("number", 0)) == self.member)
        return index, entries, hit

    def _write(self, index: Path, entries: list[dict[str, Any]]) -> None:
        index.write_text("".join(json.dumps(e) + "\n" for e in entries))

    def drop_field(self, root: Path) -> None:
        index, entries, hit = self._entries(root)
        self._write(index, entries[:hit] + entries[hit + 1 :])

    def field_past_end(self, root: Path) -> None:
        index, entries, hit = self._entries(root)
        entries[hit]["_offset"] = (root / self.target()).stat().st_size + 1000
        self._write(index, entries)

    def corrupt_field(self, root: Path) -> None:
        _, entries, hit = self._entries(root)
        zero_closing_marker(root / self.target(), entries[hit]["_offset"] + entries[hit]["_length"])


class DwdFamily(FaultFamily):
    name = "dwd-whole-files"
    job_class = dwd_archive.SmallGridRegionJob
    init = timestamp("2026-01-01T03:00")  # a 30 h run
    lead = timedelta("1h")

    def build(self, template_dir: Path) -> xr.Dataset:
        dwd_archive.write_test_archive(self.archive, [self.init], self.data_vars())
        config = dwd_archive.SmallGridTemplateConfig(template_dir=template_dir, variable_names=NAMES)
        config.update_template()
        return config.get_template(self.init + timedelta("3h"))

    def all_data_vars(self) -> Sequence[Any]:
        return ICON_EU_DATA_VARS

    def target(self, variable: str = HIT) -> str:
        param = next(v.internal_attrs.dwd_param for v in ICON_EU_DATA_VARS if v.name == variable)
        return dwd_archive.relative_path(param, self.init, self.lead)

    def drop_field(self, root: Path) -> None:
        shutil.copyfile(root / self.target("temperature_2m"), root / self.target())

    def field_past_end(self, root: Path) -> None:
        path = root / self.target()
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    def corrupt_field(self, root: Path) -> None:
        path = root / self.target()
        message = bytearray(bz2.decompress(path.read_bytes()))
        message[-4:] = b"\0\0\0\0"
        path.write_bytes(bz2.compress(bytes(message)))


FAMILIES: tuple[type[FaultFamily], ...] = (NoaaFamily, EcmwfFamily, DwdFamily)
