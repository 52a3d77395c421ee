"""The JSON API at /api/v1/: one NinjaAPI, each app adding its router."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from .api_auth import BearerToken, StaffSession
from .api_errors import install_error_handlers
from .api_json import PydanticRenderer


def build_api() -> NinjaAPI:
    from policydesk.callbacks.api import router as callbacks_router
    from policydesk.cases.api import router as cases_router
    from policydesk.cases.api_rules import router as case_rules_router
    from policydesk.cases.api_saved_views import router as saved_views_router
    from policydesk.claims.api import router as claims_router
    from policydesk.complaints.api import router as complaints_router
    from policydesk.core.api_platform import router as platform_router
    from policydesk.counter.api import router as counter_router
    from policydesk.customers.api import router as customers_router
    from policydesk.imports.api import router as imports_router
    from policydesk.monitoring.api import router as monitoring_router
    from policydesk.newbusiness.api import router as newbusiness_router
    from policydesk.org.api import router as org_router
    from policydesk.policies.api import router as policies_router
    from policydesk.servicing.api import router as servicing_router

    api = NinjaAPI(
        title="PolicyDesk API",
        version="1",
        description=(
            "Customer-service platform for insurers. Authenticate with a bearer token "
            "(`Authorization: Bearer pdk_…`) or a signed-in session. Create operations honour "
            'an `Idempotency-Key` header. Errors are JSON `{"error": {"code", "message"}}`.'
        ),
        urls_namespace="api",
        renderer=PydanticRenderer(),
        auth=[BearerToken(), StaffSession()],
        docs=Swagger(settings={"persistAuthorization": False}),
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    install_error_handlers(api)
    api.add_router("/", platform_router)
    api.add_router("/", org_router)
    api.add_router("/", imports_router)
    api.add_router("/", customers_router)
    api.add_router("/", policies_router)
    api.add_router("/", saved_views_router)
    api.add_router("/", cases_router)
    api.add_router("/", case_rules_router)
    api.add_router("/", complaints_router)
    api.add_router("/", newbusiness_router)
    api.add_router("/", servicing_router)
    api.add_router("/", claims_router)
    api.add_router("/", counter_router)
    api.add_router("/", callbacks_router)
    api.add_router("/", monitoring_router)
    return api


api = build_api()
