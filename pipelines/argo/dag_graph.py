import re
from collections.abc import Mapping

DEPENDS_TOKEN = re.compile(r"\s*(\(|\)|&&|\|\||!|[A-Za-z0-9][-A-Za-z0-9]*(?:\.[A-Za-z]+)?)")
TASK_RESULTS = {"Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed"}


class DependsError(ValueError):
    pass


def depends_names(expression: str) -> set[str]:
    """Task names referenced by an Argo `depends` expression such as `a && (b.Succeeded || c.Failed)`."""
    names: set[str] = set()
    position, expect_operand, depth = 0, True, 0
    text = expression.strip()
    while position < len(text):
        match = DEPENDS_TOKEN.match(text, position)
        if not match:
            raise DependsError(f"cannot parse depends {expression!r} at {text[position:]!r}")
        token = match.group(1)
        position = match.end()
        if token == "(" or token == "!":
            if not expect_operand:
                raise DependsError(f"unexpected {token!r} in depends {expression!r}")
            depth += token == "("
        elif token == ")":
            depth -= 1
            if expect_operand or depth < 0:
                raise DependsError(f"unbalanced parentheses in depends {expression!r}")
        elif token in ("&&", "||"):
            if expect_operand:
                raise DependsError(f"unexpected {token!r} in depends {expression!r}")
            expect_operand = True
        else:
            if not expect_operand:
                raise DependsError(f"missing operator before {token!r} in depends {expression!r}")
            name, _, result = token.partition(".")
            if result and result not in TASK_RESULTS:
                raise DependsError(f"unknown task result {result!r} in depends {expression!r}")
            names.add(name)
            expect_operand = False
    if text and (expect_operand or depth):
        raise DependsError(f"incomplete depends {expression!r}")
    return names


def topological_order(edges: Mapping[str, set[str]]) -> list[str]:
    """Tasks ordered so every task comes after its dependencies; raises DependsError on a cycle."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "active":
            raise DependsError(f"dependency cycle: {' -> '.join((*path, name))}")
        state[name] = "active"
        for dependency in sorted(edges.get(name, ())):
            visit(dependency, (*path, name))
        state[name] = "done"
        order.append(name)

    for name in sorted(edges):
        visit(name, ())
    return order
