"""HTTP for sites."""

from callscope.api.crud import crud_router
from callscope.sites.schemas import SiteCreate, SitePublic, SiteUpdate
from callscope.sites.service import SiteService

router = crud_router(
    prefix="/sites",
    noun="site",
    service=SiteService,
    create=SiteCreate,
    update=SiteUpdate,
    public=SitePublic,
    delete_doc="Delete a site that has no pools (409 otherwise).",
)
