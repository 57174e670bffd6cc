from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tests.support.synthetic.template_config import LATITUDES, LONGITUDES


def source_file_name(time: pd.Timestamp) -> str:
    return f"{time:%Y%m%d%H}.npz"


def expected_values(offset: float, time: pd.Timestamp) -> np.ndarray:
    hours = (time - pd.Timestamp("2024-01-01")).total_seconds() / 3600
    lat, lon = np.meshgrid(LATITUDES, LONGITUDES, indexing="ij")
    return (offset + hours + 0.25 * lat - 0.5 * lon).astype(np.float32)


def write_synthetic_source(directory: Path, times: Iterable[pd.Timestamp], offsets: dict[str, float]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for time in times:
        arrays: dict[str, Any] = {name: expected_values(offset, time) for name, offset in offsets.items()}
        np.savez(directory / source_file_name(time), **arrays)
    return directory
