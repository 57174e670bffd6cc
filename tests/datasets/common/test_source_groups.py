from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.source_groups import group_variables


def test_group_variables_keeps_keys_together_at_most_size_at_a_time(synthetic: DynamicalDataset) -> None:
    variables = [
        v.model_copy(update={"name": f"v{i}"}) for i, v in enumerate(list(synthetic.template_config.data_vars) * 3)
    ]
    groups = group_variables(variables, lambda v: int(v.name[1:]) % 2, 2)
    assert [[v.name for v in group] for group in groups] == [["v0", "v2"], ["v4"], ["v1", "v3"], ["v5"]]
