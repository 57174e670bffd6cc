"""How one region is filled. A region job = one shard along the append dim x one group of variables.

The framework (`RegionJob.process`) runs, for each group from `source_groups`:
  generate_source_file_coords -> download_file (in parallel) -> read_data per variable and file
  -> apply_data_transformations (the transform chain each variable declares) -> write whole shards,
and records per source file whether it succeeded, was not found or failed to read. A dataset overrides
only the hooks that differ; here everything but the file layout and the grid comes from the NOAA base class.
"""

from typing import ClassVar

from datasets.common.sources.grib import GridSpec
from datasets.noaa.noaa_region_job import NoaaRegionJob, NoaaSourceFileCoord


class ExampleSourceFileCoord(NoaaSourceFileCoord):
    """One source file. NoaaSourceFileCoord holds init_time, lead_time, base_url and the wanted fields;
    `get_url()` is base_url + relative_path(), the index is that URL + ".idx", and `out_loc()` says where
    the file's data goes in the region ({"init_time": ..., "lead_time": ...})."""

    def relative_path(self) -> str:
        init, lead_hours = self.init_time, int(self.lead_time.total_seconds()) // 3600
        return f"gfs.{init:%Y%m%d}/{init:%H}/atmos/gfs.t{init:%H}z.pgrb2.2p50.f{lead_hours:03d}"


class ExampleRegionJob(NoaaRegionJob[ExampleSourceFileCoord]):
    # --- What NoaaRegionJob provides (override only if your source differs) ---
    # generate_source_file_coords(processing_region_ds, group) -> one coord per (init_time, lead_time),
    #     each listing the `.idx` fields the group needs from that file (windowed fields skip lead 0).
    # download_file(coord) -> the coord downloaded: fetch the `.idx`, select each field's message by element,
    #     level and window, fetch those byte ranges (coalesced) into one local file. Raises SourceNotFoundError
    #     for a missing file (every variable's values of it stay NaN, and it is listed); a field absent from the
    #     index is recorded in the downloaded coord and costs only that variable's values of that file.
    # read_data(coord, data_var) -> np.ndarray: decode the variable's message into float32 (latitude,
    #     longitude), checking grid and field identity; raises SourceReadError on any mismatch (that variable's
    #     values of that file stay NaN, and it is listed).
    #
    # --- What RegionJob provides ---
    # source_groups(data_vars): variables that share source files are processed together; the default is
    #     one group, right when every variable is in the same file (as here).
    # get_processing_region(): the append-dim slice to read; pad it when a transform needs neighbours
    #     (e.g. deaccumulation needs the previous step), the job writes only `region`.
    # apply_data_transformations(data_array, data_var): the transform chain the variable's internal attrs
    #     declare (unit conversion, accumulations to rates along `step_dim`, rounding); override only for a
    #     transform of your own, as a pure numpy function in datasets/common/transforms/.
    # update_positions(...): what an update (re)processes; the default is the latest published init and every
    #     newer one.

    source_file_coord_class: ClassVar[type[NoaaSourceFileCoord]] = ExampleSourceFileCoord
    # The archive root the relative paths hang from. Any mirror with the same relative paths works:
    # `--source-url` / REFORMAT_SOURCE_URL replace it with an http(s)://, s3:// or local folder URL.
    default_source_url: ClassVar[str] = "https://noaa-gfs-bdp-pds.s3.amazonaws.com"
    # The grid every message must be on, as encoded in the file (`main inspect-grib FILE` shows it): 0..357.5 east,
    # 90..-90 north.
    grid: ClassVar[GridSpec] = GridSpec.global_latitude_longitude(2.5)
    # The template's longitudes run -180..177.5, so decoded rows are rolled by half a turn.
    roll_longitude: ClassVar[bool] = True

    # Not overridden here: `update_template_with_results`. After every job of an update ran, the base class
    # trims the append dim to the last init any variable wrote and fills `ingested_forecast_length` with
    # the longest lead written per init. Override it only for datasets that record other results.
