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


def unknown_openai_keys(value, model, path="event"):
    problems = []
    if isinstance(model, pydantic.BaseModel) and isinstance(value, dict):
        known = {}
        for name, field in type(model).model_fields.items():
            known[field.alias or name] = name
        for key, inner in value.items():
            if key not in known:
                problems.append(f"{path}.{key} is not a field of {type(model).__name__}")
            else:
                problems += unknown_openai_keys(inner, getattr(model, known[key]), f"{path}.{key}")
    elif isinstance(model, list) and isinstance(value, list):
        for index, (inner_value, inner_model) in enumerate(zip(value, model)):
            problems += unknown_openai_keys(inner_value, inner_model, f"{path}[{index}]")
    return problems


def unknown_azure_keys(value, model, path="event"):
    problems = []
    if isinstance(model, VoiceLiveModel) and isinstance(value, dict):
        fields = type(model)._attr_to_rest_field
        known = {field._rest_name: attribute for attribute, field in fields.items()}
        for key, inner in value.items():
            if key not in known:
                problems.append(f"{path}.{key} is not a field of {type(model).__name__}")
            else:
                problems += unknown_azure_keys(inner, getattr(model, known[key]), f"{path}.{key}")
    elif isinstance(model, list) and isinstance(value, list):
        for index, (inner_value, inner_model) in enumerate(zip(value, model)):
            problems += unknown_azure_keys(inner_value, inner_model, f"{path}[{index}]")
    return problems


def check(provider, event):
    if provider == "openai":
        try:
            parsed = OPENAI.validate_python(event)
        except pydantic.ValidationError as error:
            return f"not an OpenAI client event: {str(error)[:300]}"
        if parsed.type != event.get("type"):
            return f"parsed as {parsed.type}"
        problems = unknown_openai_keys(event, parsed)
    elif provider == "azure":
        parsed = voicelive.ClientEvent._deserialize(event, [])
        if type(parsed) is voicelive.ClientEvent:
            return f"not a Voice Live client event type: {event.get('type')}"
        problems = unknown_azure_keys(event, parsed)
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
