#!/usr/bin/python3
"""Checks Kubernetes manifests against the official API schemas.

The schemas are those of Debian's python3-kubernetes: its models
(kubernetes.client.models) are generated from the Kubernetes OpenAPI
specification, each with its fields' JSON names (attribute_map) and types
(openapi_types), and a constructor that refuses None for a required field; its
API classes say which group and version serve a kind, and whether the kind is
namespaced. Every document of every file given is checked: a kind its
apiVersion does not serve, a field the schema does not have, a value of the
wrong type and a missing required field are reported with file, document,
object and field path.

usage: deploy_schema_check.py MANIFEST.yaml...   exit 0: valid, 1: invalid, 2: unreadable
"""

import re
import sys

import kubernetes.client as client
import kubernetes.client.models as models
import yaml


def api_class(api_version):
    """The API class of an apiVersion: apps/v1 -> AppsV1Api, v1 -> CoreV1Api."""
    group, _, version = api_version.rpartition("/")
    if not version:
        return None
    if group.endswith(".k8s.io"):
        group = group[: -len(".k8s.io")]
    prefix = "".join(part[:1].upper() + part[1:] for part in re.split(r"[.-]", group)) if group else "Core"
    return getattr(client, prefix + version[:1].upper() + version[1:] + "Api", None)


def snake(kind):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()


def resolve(api_version, kind):
    """(model class, namespaced) for an apiVersion and kind, or an error string."""
    api = api_class(api_version)
    if api is None:
        return f"apiVersion {api_version!r} is not an API group and version the schemas know"
    name = snake(kind)
    if hasattr(api, f"create_namespaced_{name}"):
        namespaced = True
    elif hasattr(api, f"create_{name}"):
        namespaced = False
    else:
        return f"kind {kind!r} is not served by {api_version!r}"
    version = api_version.rpartition("/")[2]
    model = getattr(models, version[:1].upper() + version[1:] + kind, None)
    if model is None:
        return f"no schema for {api_version} {kind}"
    return model, namespaced


def type_name(value):
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


class Checker:
    def __init__(self):
        self.errors = []

    def fail(self, path, message):
        self.errors.append(f"{path}: {message}")

    def check(self, value, schema, path):
        if value is None:
            return  # an explicit null is an absent field; required ones are checked by the model
        if schema.startswith("list["):
            if not isinstance(value, list):
                return self.fail(path, f"expected a list, got {type_name(value)}")
            for i, item in enumerate(value):
                self.check(item, schema[5:-1], f"{path}[{i}]")
            return
        if schema.startswith("dict("):
            if not isinstance(value, dict):
                return self.fail(path, f"expected an object, got {type_name(value)}")
            inner = schema[len("dict(str, "):-1]
            for k, v in value.items():
                if not isinstance(k, str):
                    self.fail(path, f"key {k!r} is not a string")
                self.check(v, inner, f"{path}.{k}")
            return
        primitive = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,),
                     "datetime": (str,), "date": (str,)}
        if schema in primitive:
            ok = isinstance(value, primitive[schema]) and not (schema in ("int", "float") and isinstance(value, bool))
            if not ok:
                self.fail(path, f"expected {'a string' if schema == 'str' else 'an integer' if schema == 'int' else 'a ' + schema}, got {type_name(value)} {value!r}")
            return
        if schema == "object":
            # int-or-string (ports, maxSurge) and free-form fields
            return
        model = getattr(models, schema, None)
        if model is None:
            return self.fail(path, f"the schemas name an unknown type {schema}")
        self.check_model(value, model, path)

    def check_model(self, value, model, path):
        if not isinstance(value, dict):
            return self.fail(path, f"expected an object ({model.__name__}), got {type_name(value)}")
        json_to_python = {j: p for p, j in model.attribute_map.items()}
        for key, v in value.items():
            if key not in json_to_python:
                known = ", ".join(sorted(model.attribute_map.values()))
                self.fail(f"{path}.{key}" if path else key, f"unknown field (a {model.__name__} has: {known})")
                continue
            self.check(v, model.openapi_types[json_to_python[key]], f"{path}.{key}" if path else key)
        # Required fields and enumerations: the model's own constructor refuses them.
        present = {json_to_python[k]: v for k, v in value.items() if k in json_to_python and v is not None}
        kwargs = {p: (v if not isinstance(v, (dict, list)) else object()) for p, v in present.items()}
        try:
            model(**kwargs)
        except ValueError as e:
            missing = re.search(r"`(\w+)`, must not be `None`", str(e))
            field = model.attribute_map.get(missing.group(1), missing.group(1)) if missing else None
            where = f"{path}.{field}" if path and field else field or path or "(top)"
            self.fail(where, "required field missing" if missing else str(e))


def main(paths):
    if not paths:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    failures = 0
    objects = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                documents = [d for d in yaml.safe_load_all(f) if d is not None]
        except (OSError, yaml.YAMLError) as e:
            print(f"{path}: cannot read: {e}", file=sys.stderr)
            return 2
        for index, doc in enumerate(documents, 1):
            objects += 1
            checker = Checker()
            if not isinstance(doc, dict):
                checker.fail("(top)", f"expected an object, got {type_name(doc)}")
            else:
                name = (doc.get("metadata") or {}).get("name", "?") if isinstance(doc.get("metadata"), dict) else "?"
                label = f"{doc.get('kind', '?')}/{name}"
                resolved = resolve(str(doc.get("apiVersion", "")), str(doc.get("kind", "")))
                if isinstance(resolved, str):
                    checker.fail("apiVersion/kind", resolved)
                else:
                    model, namespaced = resolved
                    checker.check_model(doc, model, "")
                    has_namespace = isinstance(doc.get("metadata"), dict) and "namespace" in doc["metadata"]
                    if namespaced and not has_namespace:
                        checker.fail("metadata.namespace", f"{doc['kind']} is namespaced: name its namespace")
                    if not namespaced and has_namespace:
                        checker.fail("metadata.namespace", f"{doc['kind']} is cluster-scoped: it has no namespace")
            for error in checker.errors:
                failures += 1
                print(f"{path}: document {index} ({label if isinstance(doc, dict) else '?'}): {error}")
    if failures:
        print(f"{failures} schema error(s) in {objects} object(s)", file=sys.stderr)
        return 1
    print(f"valid: {objects} objects in {len(paths)} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
