from datasets.common.dynamical_dataset import DynamicalDataset, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.ecmwf.aifs_single.forecast.region_job import AifsSingleSourceFileCoord, EcmwfAifsSingleForecastRegionJob
from datasets.ecmwf.aifs_single.forecast.template_config import EcmwfAifsSingleForecastTemplateConfig
from datasets.ecmwf.ecmwf_variables import EcmwfDataVar


def ecmwf_aifs_single_forecast() -> DynamicalDataset[EcmwfDataVar, AifsSingleSourceFileCoord]:
    return DynamicalDataset(
        template_config=EcmwfAifsSingleForecastTemplateConfig(),
        region_job_class=EcmwfAifsSingleForecastRegionJob,
        # The update runs 6 h 13 min after each init (lead 360 h lands by about 6 h 10 min) and takes ~1 min;
        # validation 10 min later. One missing lead time is 1.6% of a forecast. Every variable of a lead time is in
        # the same file, so one variable finds missing files.
        validation=scheduled_validators(timedelta("6h23min"), nan_window=3, hole_variables=("temperature_2m",)),
    )
