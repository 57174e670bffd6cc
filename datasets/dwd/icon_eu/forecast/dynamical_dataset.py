"""DWD ICON-EU 5-day forecast.

DWD keeps each file online for only about a day, so this dataset can only be backfilled from DWD for the last
~24 hours, and an operational update that did not run for a day leaves the missed init times empty (it logs
them; the published dataset keeps its extent). To keep history, archive the source files themselves: mirror
`https://opendata.dwd.de/weather/nwp/icon-eu/grib/` into your own bucket with the same relative paths (e.g. a
job every few hours that copies the new files of the variables below), then backfill or update with
`--source-url s3://your-bucket/icon-eu/grib` (or REFORMAT_SOURCE_URL). With a mirror as the source, updates
process every new init time, however old. See docs/datasets/dwd-icon-eu-forecast-5-day.md.
"""

from datasets.common.dynamical_dataset import DynamicalDataset, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.dwd.dwd_variables import DwdDataVar
from datasets.dwd.icon_eu.forecast.region_job import DwdIconEuForecastRegionJob, IconEuSourceFileCoord
from datasets.dwd.icon_eu.forecast.template_config import DwdIconEuForecastTemplateConfig


def dwd_icon_eu_forecast() -> DynamicalDataset[DwdDataVar, IconEuSourceFileCoord]:
    return DynamicalDataset(
        template_config=DwdIconEuForecastTemplateConfig(),
        region_job_class=DwdIconEuForecastRegionJob,
        # Validation runs 4 h 35 min after each init time: that init must be published by then. Every variable has
        # its own files, so each is checked for recent NaN; one missing lead time is ~1% of a run. Expected shards
        # lists stored shards only (cheap): an init DWD dropped before it was ingested stays flagged until it is
        # refilled from an archive of DWD's files. No hole check: a full-history scan of 8 inits a day per variable
        # costs more than it adds to these two checks.
        validation=scheduled_validators(timedelta("4h35min")),
    )
