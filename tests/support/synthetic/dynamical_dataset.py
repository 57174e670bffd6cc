from datasets.common.dynamical_dataset import DynamicalDataset, OperationalConfig
from tests.support.synthetic.region_job import SyntheticRegionJob, SyntheticSourceFileCoord
from tests.support.synthetic.template_config import SyntheticDataVar, SyntheticTemplateConfig

SYNTHETIC_DATASET = DynamicalDataset[SyntheticDataVar, SyntheticSourceFileCoord](
    template_config=SyntheticTemplateConfig(),
    region_job_class=SyntheticRegionJob,
    operational=OperationalConfig(
        update_schedule="15 */6 * * *",
        validate_schedule="45 */6 * * *",
        update_workers=2,
        cpu="1",
        memory="1Gi",
        shared_memory="256Mi",
        ephemeral_storage="2Gi",
        update_deadline_seconds=1200,
    ),
    source_base_url="file:///nonexistent/synthetic-analysis",
    primary_store_url="s3://reformatters-test/synthetic-analysis/v0.1.0.icechunk",
)
