import pytest

from pipelines.argo.dag_graph import DependsError, depends_names, topological_order


def test_depends_names() -> None:
    assert depends_names("") == set()
    assert depends_names("plan") == {"plan"}
    assert depends_names("write.Succeeded") == {"write"}
    assert depends_names("(a.Succeeded || b.Failed) && !c && d-2.AnySucceeded") == {"a", "b", "c", "d-2"}


@pytest.mark.parametrize("expression", ["a &&", "a b", "(a", "a)", "&& a", "a.Finished", "a ||| b", "a $ b", "!"])
def test_malformed_depends(expression: str) -> None:
    with pytest.raises(DependsError):
        depends_names(expression)


def test_topological_order_and_cycles() -> None:
    assert topological_order({"join": {"write"}, "write": {"plan"}, "plan": set()}) == ["plan", "write", "join"]
    with pytest.raises(DependsError, match="cycle"):
        topological_order({"a": {"b"}, "b": {"c"}, "c": {"a"}})
