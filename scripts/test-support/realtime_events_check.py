#!/usr/bin/env python3
"""Checks client events against the providers' own Python SDKs, field by field.

Reads JSON lines {"provider": "openai" | "azure", "event": {...}} on stdin. Each event must parse
as a client event of that provider's SDK (`openai`: the GA `RealtimeClientEvent` union;
`azure-ai-voicelive`: `ClientEvent`), and every key it carries, at every depth, must be a field the
SDK's model for that place defines: a misspelt or misplaced field is an error, not silently kept.
Prints one JSON line per event ({"ok": true} or {"ok": false, "problem": ...}); exits 1 if any failed.

Needs: openai, azure-ai-voicelive (PyPI).
"""
import json
import sys

import pydantic
from openai.types.realtime import RealtimeClientEvent
import azure.ai.voicelive.models as voicelive
from azure.ai.voicelive._utils.model_base import Model as VoiceLiveModel

OPENAI = pydantic.TypeAdapter(RealtimeClientEvent)


def unknown_keys(value, model, fields_of, path="event"):
    """Keys of `value` (at any depth) that the SDK model parsed from it does not define.
    `fields_of(model)` maps a model's wire names to its attributes, or is None for a non-model."""
    problems = []
    fields = fields_of(model)
    if fields is not None and isinstance(value, dict):
        for key, inner in value.items():
            if key not in fields:
                problems.append(f"{path}.{key} is not a field of {type(model).__name__}")
            else:
                problems += unknown_keys(inner, getattr(model, fields[key]), fields_of, f"{path}.{key}")
    elif isinstance(model, list) and isinstance(value, list):
        for index, (inner_value, inner_model) in enumerate(zip(value, model)):
            problems += unknown_keys(inner_value, inner_model, fields_of, f"{path}[{index}]")
    return problems


def openai_fields(model):
    if not isinstance(model, pydantic.BaseModel):
        return None
    return {field.alias or name: name for name, field in type(model).model_fields.items()}


def azure_fields(model):
    if not isinstance(model, VoiceLiveModel):
        return None
    return {field._rest_name: attribute for attribute, field in type(model)._attr_to_rest_field.items()}


def check(provider, event):
    if provider == "openai":
        try:
            parsed = OPENAI.validate_python(event)
        except pydantic.ValidationError as error:
            return f"not an OpenAI client event: {str(error)[:300]}"
        if parsed.type != event.get("type"):
            return f"parsed as {parsed.type}"
        problems = unknown_keys(event, parsed, openai_fields)
    elif provider == "azure":
        parsed = voicelive.ClientEvent._deserialize(event, [])
        if type(parsed) is voicelive.ClientEvent:
            return f"not a Voice Live client event type: {event.get('type')}"
        problems = unknown_keys(event, parsed, azure_fields)
    else:
        return f"unknown provider {provider}"
    return "; ".join(problems) or None


def main():
    failed = False
    for line in sys.stdin:
        if not line.strip():
            continue
        entry = json.loads(line)
        problem = check(entry["provider"], entry["event"])
        failed = failed or problem is not None
        print(json.dumps({"type": entry["event"].get("type"), "ok": problem is None, "problem": problem}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
