from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.template_config import read_template


def sliced_dataset[D: DynamicalDataset[Any, Any]](dataset: D, leads: Sequence[pd.Timedelta], folder: Path) -> D:
    """The forecast dataset with its checked-in template trimmed to `leads`, rendered into `folder`: a run of it
    plans only the source files a slice with those lead times holds."""
    config = dataset.template_config
    template = read_template(config.template_path()).sel(lead_time=list(leads))
    sliced = config.model_copy(update={"template_dir": folder})
    template.to_zarr(sliced.template_path(), mode="w", compute=False, zarr_format=3, consolidated=False)
    return dataset.model_copy(update={"template_config": sliced})
