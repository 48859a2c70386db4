"""The response envelope of every API call: `{code, description, error, data}`, plus `count`
on plain collections or `page_info` on paginated ones."""

from flask import jsonify

from portal.services.pagination import Page

DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def success(data, status: int = 200, description: str = "Success", **extra):
    return jsonify(
        {"code": True, "description": description, "error": [], "data": data} | extra
    ), status


def collection(items: list) -> tuple:
    return success(items, count=len(items))


def page(result: Page, shape) -> tuple:
    return success([shape(item) for item in result.items], page_info=result.page_info)


def shaped_page(result: Page, data: list) -> tuple:
    """A page whose items the caller has shaped already (all at once, e.g. `shapes.patients`)."""
    return success(data, page_info=result.page_info)


def failure(status: int, *errors: str, headers: dict | None = None):
    """An error envelope; `data` is always null so that a refusal carries no data."""
    body = {
        "code": False,
        "description": DESCRIPTIONS.get(status, "Error"),
        "error": list(errors),
        "data": None,
    }
    return jsonify(body), status, headers or {}
