"""example-gfs-coarse-forecast: a small, complete dataset (a GFS-layout archive on a 2.5 degree grid, three
variables) in the shape every integration starts from: `main initialize-new-integration` copies this package and
its test under the new dataset's names.

Edit, in order: template_config.py (what the dataset is), region_job.py (where each source file is and which grid
it is on), dynamical_dataset.py (source URL, operations, whether it is deployed), keeping the test in step.
docs/dataset_integration_guide.md walks through each step.
"""

from datasets.example.dynamical_dataset import example_gfs_coarse_forecast

__all__ = ["example_gfs_coarse_forecast"]
