"""What a run's plan holds, counted for progress bars: jobs, source files to read and bytes to write."""

import math

from datasets.common.config_models import FrozenBaseModel
from steps.context import StepContext, planned_jobs, planned_template
from steps.run_state import PlanRecord

FLOAT32_BYTES = 4  # jobs decode into float32 buffers


class ExpectedWork(FrozenBaseModel):
    jobs: int
    source_files: int
    bytes_written: int  # uncompressed


def expected_work(context: StepContext, record: PlanRecord) -> ExpectedWork:
    """At most this much: a job that finds a file missing reads and writes less."""
    template = planned_template(context, record)
    source_files = bytes_written = 0
    for job in planned_jobs(context, record, template):
        processing = template.isel({job.append_dim: job.get_processing_region()})
        for group in job.source_groups(job.data_vars):
            source_files += len(job.generate_source_file_coords(processing, group))
        positions = job.region.stop - job.region.start
        for var in job.data_vars:
            other = math.prod(size for dim, size in template[var.name].sizes.items() if dim != job.append_dim)
            bytes_written += positions * other * FLOAT32_BYTES
    return ExpectedWork(jobs=len(record.jobs), source_files=source_files, bytes_written=bytes_written)
