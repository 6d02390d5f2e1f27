"""HTTP for sources, pools and tracking numbers."""

from callscope.api.crud import crud_router
from callscope.numbers.schemas import (
    NumberCreate,
    NumberFilters,
    NumberPublic,
    NumberUpdate,
    PoolCreate,
    PoolFilters,
    PoolPublic,
    PoolUpdate,
    SourceCreate,
    SourcePublic,
    SourceUpdate,
)
from callscope.numbers.service import NumberService, PoolService, SourceService

sources_router = crud_router(
    prefix="/sources",
    noun="source",
    service=SourceService,
    create=SourceCreate,
    update=SourceUpdate,
    public=SourcePublic,
    delete_doc="Delete a source no number is bound to (409 otherwise).",
)
pools_router = crud_router(
    prefix="/pools",
    noun="pool",
    service=PoolService,
    create=PoolCreate,
    update=PoolUpdate,
    public=PoolPublic,
    filters=PoolFilters,
    delete_doc="Delete a pool with no active numbers (409 otherwise).",
)
numbers_router = crud_router(
    prefix="/numbers",
    noun="tracking number",
    service=NumberService,
    create=NumberCreate,
    update=NumberUpdate,
    public=NumberPublic,
    filters=NumberFilters,
    delete_doc="Release a number: it stops being active (and can be used elsewhere), "
    "but stays readable by id with `active: false`, since calls made to it keep pointing at it.",
)
