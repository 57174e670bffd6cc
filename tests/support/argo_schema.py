"""Strict offline validation of Argo manifests against Argo's JSON schema and the full CRD schemas."""

import copy
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator

DATA = Path(__file__).parent.parent / "data" / "argo"
CRD_FILES = {
    "Workflow": "argoproj.io_workflows.yaml",
    "WorkflowTemplate": "argoproj.io_workflowtemplates.yaml",
    "CronWorkflow": "argoproj.io_cronworkflows.yaml",
}


def _strict_definitions(definitions: dict[str, Any]) -> dict[str, Any]:
    definitions = copy.deepcopy(definitions)
    definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["type"] = ["string", "integer"]
    definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"]["type"] = ["string", "number"]
    for definition in definitions.values():
        if "properties" in definition:
            definition.setdefault("additionalProperties", False)
    return definitions


@cache
def json_schema_validator(kind: str) -> Validator:
    schema = json.loads((DATA / "schema.json").read_text())
    root = {
        "$ref": f"#/definitions/io.argoproj.workflow.v1alpha1.{kind}",
        "definitions": _strict_definitions(schema["definitions"]),
    }
    return Draft202012Validator(root)


def _strict_crd_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict_crd_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {k: _strict_crd_schema(v) for k, v in node.items() if k != "x-kubernetes-validations"}
    if node.pop("x-kubernetes-int-or-string", False):
        node.pop("anyOf", None)
        node["type"] = ["integer", "string"]
    if node.pop("nullable", False) and "type" in node:
        node["type"] = [*([node["type"]] if isinstance(node["type"], str) else node["type"]), "null"]
    preserve = node.pop("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in node and not preserve:
        node.setdefault("additionalProperties", False)
    return node


@cache
def crd_validator(kind: str) -> Validator:
    crd = yaml.load((DATA / "crds" / CRD_FILES[kind]).read_text(), Loader=yaml.CSafeLoader)
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    return Draft202012Validator(_strict_crd_schema(version["schema"]["openAPIV3Schema"]))


def schema_errors(manifest: Mapping[str, Any]) -> list[str]:
    """Every violation of Argo's JSON schema and of the kind's CRD schema, strictly (unknown keys rejected)."""
    kind = manifest["kind"]
    errors = []
    for source, validator in (("schema.json", json_schema_validator(kind)), ("CRD", crd_validator(kind))):
        for error in validator.iter_errors(manifest):
            path = "/".join(str(p) for p in error.absolute_path)
            errors.append(f"{kind} {source} at /{path}: {error.message}")
    return errors
