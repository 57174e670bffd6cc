"""A small, complete dataset that doubles as a guide for integrating a new one.

Read the three modules in order:

1. `template_config.py` - WHAT the dataset is: dimensions, coordinates, variables, encodings, attributes.
2. `region_job.py` - HOW one region (one shard along the append dimension) is filled from source files.
3. `dynamical_dataset.py` - HOW it runs: the two above, plus where the data comes from and operations.

After changing the template config, run `uv run main example-gfs-coarse-forecast update-template` and
commit `templates/latest.zarr`: every later run builds its template from that checked-in copy.
"""
