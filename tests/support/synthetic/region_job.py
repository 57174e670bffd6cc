import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.errors import SourceNotFoundError, SourceReadError
from datasets.common.region_job import RegionJob, SourceFileCoord
from tests.support.synthetic.source import source_file_name
from tests.support.synthetic.template_config import SyntheticDataVar


class SyntheticSourceFileCoord(SourceFileCoord):
    base_url: str
    time: pd.Timestamp

    def get_url(self) -> str:
        return f"{self.base_url}/{source_file_name(self.time)}"

    def out_loc(self) -> Mapping[str, Any]:
        return {"time": self.time}

    def local_path(self) -> Path:
        return Path(tempfile.gettempdir()) / "synthetic-analysis" / str(os.getpid()) / source_file_name(self.time)


class SyntheticRegionJob(RegionJob[SyntheticDataVar, SyntheticSourceFileCoord]):
    def generate_source_file_coords(
        self, processing_region_ds: xr.Dataset, data_var_group: Sequence[SyntheticDataVar]
    ) -> Sequence[SyntheticSourceFileCoord]:
        base_url = (self.source_url or "").removeprefix("file://")
        return [
            SyntheticSourceFileCoord(base_url=base_url, time=pd.Timestamp(t))
            for t in processing_region_ds["time"].values
        ]

    def download_file(self, coord: SyntheticSourceFileCoord) -> Path:
        source = Path(coord.get_url())
        if not source.exists() or source.stat().st_size == 0:
            raise SourceNotFoundError(f"no source file {source}")
        destination = coord.local_path()
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        return destination

    def read_data(self, coord: SyntheticSourceFileCoord, data_var: SyntheticDataVar) -> np.ndarray:
        try:
            with np.load(coord.local_path()) as arrays:
                return arrays[data_var.name].astype(np.float32)
        except (KeyError, ValueError, OSError) as e:
            raise SourceReadError(f"{coord.get_url()}: {e}") from e
