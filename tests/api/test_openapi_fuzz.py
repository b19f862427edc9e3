"""schemathesis over the server's OpenAPI document, with valid (positive) and invalid (negative)
requests: none gets a 5xx, and the server never hangs or dies."""

from __future__ import annotations

import pytest

from ._build import LiveServer, bearer, make_app

MAX_EXAMPLES = 12
"""Examples per operation (about 40 operations, so a few hundred requests in all)."""


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_no_server_errors(fresh, mode):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation import GenerationMode

    headers = bearer(fresh, "admin")  # reach the deepest code paths; revoking it only means 401s
    failures: list[str] = []
    ran = 0
    with LiveServer(make_app(fresh)) as srv:
        schema = schemathesis.openapi.from_url(f"{srv.url}/api")
        operations = [r.ok() for r in schema.get_all_operations()]
        assert len(operations) > 30

        for op in operations:
            @given(case=op.as_strategy(generation_mode=GenerationMode(mode)))
            @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case):
                response = case.call(base_url=srv.url, headers=headers, timeout=30)
                try:
                    case.validate_response(response, checks=[not_a_server_error])
                except (AssertionError, BaseExceptionGroup) as exc:  # schemathesis raises FailureGroup
                    failures.append(f"{case.method} {case.formatted_path}: {str(exc)[:300]}")

            try:
                run()
            except Unsatisfiable:  # negative mode: an operation that no invalid request can reach
                continue
            ran += 1
    assert ran >= 20
    assert not failures, "\n".join(failures[:20])
