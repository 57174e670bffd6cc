from datasets.common.dynamical_dataset import DynamicalDataset, OperationalConfig, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.ecmwf.ifs_ens.forecast_15_day_0_25_degree.region_job import (
    S3_BASE_URL,
    EcmwfIfsEnsForecast15Day025DegreeRegionJob,
    IfsEnsSourceFileCoord,
)
from datasets.ecmwf.ifs_ens.forecast_15_day_0_25_degree.template_config import (
    EcmwfDataVar,
    EcmwfIfsEnsForecast15Day025DegreeTemplateConfig,
)


def ecmwf_ifs_ens_forecast_15_day_0_25_degree() -> DynamicalDataset[EcmwfDataVar, IfsEnsSourceFileCoord]:
    return DynamicalDataset(
        template_config=EcmwfIfsEnsForecast15Day025DegreeTemplateConfig(),
        region_job_class=EcmwfIfsEnsForecast15Day025DegreeRegionJob,
        # Lead 360 h of the 00 UTC run lands around 08:00-08:10 UTC. One worker per source group (10 groups of
        # 2 variables); each holds at most 8 GiB of blocks (memory_budget_bytes).
        operational=OperationalConfig(
            update_schedule="5 8 * * *",
            validate_schedule="45 8 * * *",
            update_workers=10,
            update_deadline_seconds=40 * 60,
            cpu="3",
            memory="12G",
            ephemeral_storage="30G",
        ),
        source_base_url=S3_BASE_URL,
        # Validation runs 8 h 45 min after each 00 UTC init (after the update's deadline): it must be published.
        # One missing lead time is ~1.2% of a forecast, one member's ~0.02%. Every variable of a lead time is in the
        # same file, so one variable finds missing files.
        validation=scheduled_validators(timedelta("8h45min"), hole_variables=("temperature_2m",)),
    )
