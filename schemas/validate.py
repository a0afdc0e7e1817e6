#!/usr/bin/env python3
"""Validates the coupon-worker JSON Schemas and their examples.

Usage:
  python3 schemas/validate.py
      Checks every *.schema.json against the draft 2020-12 meta-schema, then every example
      under schemas/examples/<schema>/{valid,invalid}/*.json: valid ones must pass, invalid
      ones must fail. Every message schema must have at least one of each.
  python3 schemas/validate.py --schema coupon-result.v1 FILE...
      Validates the given JSON files against one schema (named with or without
      ".schema.json"); all must pass. The Swift tests use this for the encoder's output.

Exit status 0 when everything is as expected, 1 otherwise, 2 on a usage or setup problem.
Needs python3 and the `jsonschema` package (pip install jsonschema).

Patterns in the schemas are ECMA-262, as JSON Schema specifies. Python's `re` differs in
one way that matters here: `$` also matches before a final newline, so "abc\\n" would pass
"^[a-z]+$". A trailing `$` is therefore checked as `\\Z` (the true end of the string).
"""

import argparse
import json
import re
import sys
from pathlib import Path

try:
    import jsonschema
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry, Resource
except ImportError as error:  # pragma: no cover - setup problem, reported plainly
    print(f"validate.py: cannot import jsonschema ({error}); install it with: pip install jsonschema", file=sys.stderr)
    sys.exit(2)

SCHEMAS = Path(__file__).resolve().parent
EXAMPLES = SCHEMAS / "examples"
# Holds shared $defs only; it has no messages of its own.
DEFINITIONS_ONLY = {"coupon-command-defs.v1"}


def ecma_pattern(pattern: str) -> str:
    """The Python regex that matches what ECMA-262 `pattern` matches (see module doc)."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        return pattern[:-1] + r"\Z"
    return pattern


def pattern_keyword(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and re.search(ecma_pattern(pattern), instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = jsonschema.validators.extend(Draft202012Validator, {"pattern": pattern_keyword})


def load_schemas():
    """Every schema by short name, checked against the meta-schema, plus a registry of them by $id."""
    schemas = {}
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        schemas[path.name[: -len(".schema.json")]] = schema
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    return schemas, registry


def validator_for(schemas, registry, name):
    return Validator(schemas[name], registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def first_error(validator, instance):
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    error = errors[0]
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message[:200]}"


def load_json(path):
    # Duplicate member names are an error for the worker, so they are one here too.
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        duplicates = {k for k in keys if keys.count(k) > 1}
        if duplicates:
            raise ValueError(f"duplicate member names {sorted(duplicates)}")
        return dict(pairs)

    return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)


def check_examples(schemas, registry):
    failures = 0
    checked = 0
    for name in sorted(schemas):
        if name in DEFINITIONS_ONLY:
            continue
        validator = validator_for(schemas, registry, name)
        for expectation in ("valid", "invalid"):
            files = sorted((EXAMPLES / name / expectation).glob("*.json"))
            if not files:
                print(f"FAIL {name}: no {expectation} examples in {EXAMPLES / name / expectation}")
                failures += 1
            for path in files:
                checked += 1
                label = path.relative_to(SCHEMAS)
                try:
                    instance = load_json(path)
                except ValueError as error:
                    print(f"FAIL {label}: not loadable JSON: {error}")
                    failures += 1
                    continue
                error = first_error(validator, instance)
                if expectation == "valid" and error is not None:
                    print(f"FAIL {label}: should be valid but {error}")
                    failures += 1
                elif expectation == "invalid" and error is None:
                    print(f"FAIL {label}: should be invalid but passes")
                    failures += 1
                else:
                    suffix = f" ({error})" if error else ""
                    print(f"ok   {label}{suffix}")
    return checked, failures


def check_files(schemas, registry, name, files):
    if name.endswith(".schema.json"):
        name = name[: -len(".schema.json")]
    if name not in schemas or name in DEFINITIONS_ONLY:
        print(f"validate.py: no message schema named {name!r} (have: {', '.join(sorted(set(schemas) - DEFINITIONS_ONLY))})", file=sys.stderr)
        sys.exit(2)
    validator = validator_for(schemas, registry, name)
    failures = 0
    for file in files:
        path = Path(file)
        try:
            error = first_error(validator, load_json(path))
        except (OSError, ValueError) as problem:
            error = f"cannot read JSON: {problem}"
        if error is None:
            print(f"ok   {path} against {name}")
        else:
            print(f"FAIL {path} against {name}: {error}")
            failures += 1
    return len(files), failures


def main():
    parser = argparse.ArgumentParser(description="Validate coupon-worker schemas and examples.")
    parser.add_argument("--schema", help="validate FILEs against this schema instead of checking the examples")
    parser.add_argument("files", nargs="*", help="JSON files to validate (with --schema)")
    args = parser.parse_args()
    if args.files and not args.schema:
        parser.error("FILEs need --schema")
    if args.schema and not args.files:
        parser.error("--schema needs at least one FILE")

    schemas, registry = load_schemas()
    if args.schema:
        checked, failures = check_files(schemas, registry, args.schema, args.files)
    else:
        checked, failures = check_examples(schemas, registry)
    print(f"{checked} checked, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
