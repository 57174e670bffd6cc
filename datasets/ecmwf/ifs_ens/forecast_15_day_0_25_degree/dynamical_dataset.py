from datasets.common.dynamical_dataset import DynamicalDataset, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.ecmwf.ifs_ens.forecast_15_day_0_25_degree.region_job import (
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
        # Validation runs 8 h 45 min after each 00 UTC init (after the update's deadline): it must be published.
        # One missing lead time is ~1.2% of a forecast, one member's ~0.02%. Every variable of a lead time is in the
        # same file, so one variable finds missing files.
        validation=scheduled_validators(timedelta("8h45min"), hole_variables=("temperature_2m",)),
    )
