"""Hosted onboarding links (NexHealth's Onboardings API): created with a production key,
handed to a practice, their status read back. Onboardings belong to production, so a
sandbox key lists none."""

from flask import g

from portal import edge
from portal.api import webhook_inputs as reads
from portal.api import webhook_shapes as shaped
from portal.api.operations import One, Paged, operation
from portal.models import Onboarding
from portal.services import pagination
from portal.services.onboarding import hosted

TAG = "Onboardings"
DETAILS = {
    "institution_name": "name",
    "institution_zip_code": "zip_code",
    "institution_website": "website",
    "institution_email": "email",
    "institution_street_address": "street_address",
    "institution_city": "city",
    "institution_state": "state",
    "institution_phone_number": "phone_number",
}


@operation(
    "GET",
    "/onboardings",
    "Your onboarding links, newest first",
    query=reads.Onboardings,
    answer=Paged(shaped.Onboarding),
    tag=TAG,
)
def list_onboardings(query: reads.Onboardings):
    found = hosted.for_caller(g.caller, status=query.status, subdomain=query.subdomain)
    sort = pagination.sort_by(query.sort, Onboarding, ("created_at", "-created_at"))
    page = pagination.paginate(found, sort, query.per_page, query.start_cursor, query.end_cursor)
    items = [shaped.onboarding(row) for row in page.items]
    return edge.page(items, page.page_info)


@operation(
    "GET",
    "/onboardings/<hashid>",
    "One onboarding link and its status",
    answer=One(shaped.Onboarding),
    errors=(404,),
    tag=TAG,
)
def show_onboarding(hashid: str):
    return edge.success(shaped.onboarding(hosted.get_for(g.caller, hashid)))


@operation(
    "POST",
    "/onboardings",
    "Create an onboarding link for a practice (production keys)",
    body=reads.OnboardingCreate,
    answer=One(shaped.Onboarding),
    statuses=(201,),
    errors=(403, 409),
    tag=TAG,
)
def create_onboarding(body: reads.OnboardingCreate):
    asked = body.onboarding
    details = {name: getattr(asked, field) for field, name in DETAILS.items()}
    wanted = hosted.Wanted(
        subdomain=asked.subdomain,
        emr_name=asked.emr_name,
        details={k: v for k, v in details.items() if v is not None},
    )
    row = hosted.create(g.caller, wanted)
    return edge.success(shaped.onboarding(row), 201, "Onboarding created")
