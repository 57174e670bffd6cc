"""Virtual NOAA datasets: a region job that reads only `.idx` inventories and writes one reference per message."""

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from zarr.abc.store import Store

from datasets.common.errors import SourceNotFoundError, SourceReadError
from datasets.common.region_job import ProgressCallback
from datasets.common.results import SourceFault, SourceFileStatus, VariableResult
from datasets.common.sources.fetch import fetch_bytes, object_head
from datasets.common.sources.noaa_idx import parse_idx
from datasets.common.virtual.config import reference_location
from datasets.common.virtual.references import Outcome, message_reference, write_file_references
from datasets.noaa.noaa_region_job import NoaaRegionJob, NoaaSourceFileCoord, needs_message, select_field


def _no_progress(kind: str, amount: float) -> None:
    pass


class NoaaVirtualRegionJob[SFC: NoaaSourceFileCoord](NoaaRegionJob[SFC]):
    """References instead of shards: per source file one `.idx` read and one HEAD (size, ETag, last-modified), then
    every variable's chunk refers to its message's exact byte range. Nothing is decoded or transformed: values are
    the source's, decoded at read time by the `reformatters.grib2` codec."""

    def process(self, stores: Sequence[Store], progress: ProgressCallback = _no_progress) -> dict[str, VariableResult]:
        processing_ds = self.template_ds.isel({self.append_dim: self.region})
        coords = list(self.generate_source_file_coords(processing_ds, self.data_vars))
        return self.write_references(stores, coords, self.find_references(coords, progress))

    def find_references(
        self, coords: Sequence[SFC], progress: ProgressCallback = _no_progress
    ) -> list[dict[str, Outcome]]:
        def find(coord: SFC) -> dict[str, Outcome]:
            try:
                return self.file_references(coord)
            finally:
                progress("source_files", 1)

        with ThreadPoolExecutor(self.download_parallelism) as pool:
            return list(pool.map(find, coords))

    def file_references(self, coord: SFC) -> dict[str, Outcome]:
        """Each variable's outcome for one file; every variable is not found while the `.idx` or object is."""
        try:
            messages = parse_idx(fetch_bytes(coord.index_url()).decode())
            head = object_head(coord.get_url())
        except SourceNotFoundError:  # listed by its URL alone
            return {v.name: (SourceFileStatus.not_found, "") for v in self.data_vars}
        except SourceReadError as e:
            return {v.name: (SourceFileStatus.read_failed, str(e)) for v in self.data_vars}
        assert self.source_url is not None, "source_url must be resolved (DynamicalDataset.source_url) for a job"
        location = reference_location(self.source_url, coord.relative_path())
        outcomes: dict[str, Outcome] = {}
        for var in self.data_vars:
            if not needs_message(var.internal_attrs, coord.lead_time):
                outcomes[var.name] = None
                continue
            try:
                message = select_field(messages, var.internal_attrs.expected_field(coord.lead_time))
                outcomes[var.name] = message_reference(message, head, location)
            except (SourceNotFoundError, SourceReadError) as e:  # a field the index lacks, or a bad entry
                fault = SourceFault.of(e)
                outcomes[var.name] = (fault.status, fault.message)
        return outcomes

    def write_references(
        self, stores: Sequence[Store], coords: Sequence[SFC], outcomes: Sequence[dict[str, Outcome]]
    ) -> dict[str, VariableResult]:
        files = [(c.get_url(), c.out_loc(), o) for c, o in zip(coords, outcomes, strict=True)]
        return write_file_references(stores, self.template_ds, self.append_dim, files)
