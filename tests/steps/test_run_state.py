from steps.run_state import PlannedJobs

GROUPS = (("temperature_2m",), ("precipitation_surface", "wind_u_10m"))
# (start, stop, group) per job as a plan orders them: two groups per shard of 2, a short last shard, one more group
JOBS = [(0, 2, 0), (0, 2, 1), (2, 4, 0), (2, 4, 1), (4, 6, 0), (4, 6, 1), (6, 7, 0), (6, 7, 1), (7, 9, 1)]


def listed(planned: PlannedJobs) -> list[tuple[int, int, int]]:
    return [(region.start, region.stop, GROUPS.index(names)) for region, names in planned]


def test_jobs_are_stored_as_runs_of_shards_and_read_back_in_order() -> None:
    planned = PlannedJobs.model_validate({"append_dim": "init_time", "variable_groups": GROUPS, "regions": JOBS})
    assert planned.runs == ((0, 2, 3, (0, 1)), (6, 1, 1, (0, 1)), (7, 2, 1, (1,)))
    assert listed(planned) == JOBS
    assert len(planned) == len(JOBS)
    stored = PlannedJobs.model_validate_json(planned.model_dump_json())  # as the plan record holds it
    assert stored == planned
    assert "regions" not in planned.model_dump_json()
