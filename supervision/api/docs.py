"""A browsable, server-rendered page of the OpenAPI description (no JavaScript)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("api_docs", __name__)


@bp.get("/api/v1/docs")
def docs():
    spec = current_app.extensions["supervision_api"].spec.to_dict()
    operations = []
    for path, methods in sorted(spec.get("paths", {}).items()):
        for method, operation in methods.items():
            if method.upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                continue
            operations.append({
                "method": method.upper(), "path": path,
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "tag": (operation.get("tags") or [""])[0],
                "parameters": operation.get("parameters", []),
                "body": operation.get("requestBody"),
                "responses": operation.get("responses", {}),
            })
    return render_template("api/docs.html", spec=spec, operations=operations)
