from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from datasets.common.validation import Availability

FIGURE_INCHES = (12.0, 6.0)
DPI = 100


def plot_availability(availability: Availability, path: Path, title: str) -> Path:
    """A heatmap of the fraction of data present: append-dim position (x) by variable (y), 1200x600 px."""
    names = list(availability.fraction_present)
    matrix = np.array(
        [[np.nan if f is None else f for f in availability.fraction_present[name]] for name in names], dtype=float
    ).reshape(len(names), len(availability.positions))
    figure, axes = plt.subplots(figsize=FIGURE_INCHES, dpi=DPI)
    try:
        figure.subplots_adjust(left=0.28, right=0.93, bottom=0.2, top=0.92)
        image = axes.imshow(
            matrix, aspect="auto", interpolation="nearest", cmap="viridis", vmin=0, vmax=1, origin="upper"
        )
        axes.set_yticks(range(len(names)), names, fontsize=7)
        ticks = np.unique(np.linspace(0, max(len(availability.positions) - 1, 0), 8).round().astype(int))
        labels = [availability.positions[i][:16] for i in ticks] if availability.positions else []
        axes.set_xticks(ticks if availability.positions else [], labels, rotation=30, ha="right", fontsize=7)
        axes.set_xlabel(availability.append_dim)
        axes.set_title(title, fontsize=10)
        figure.colorbar(image, ax=axes, label="fraction of data present", fraction=0.03, pad=0.02)
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=DPI, format="png")
    finally:
        plt.close(figure)
    return path
