"""HTTP for categories."""

from callscope.api.crud import crud_router
from callscope.categories.schemas import CategoryCreate, CategoryPublic, CategoryUpdate
from callscope.categories.service import CategoryService

router = crud_router(
    prefix="/categories",
    noun="category",
    service=CategoryService,
    create=CategoryCreate,
    update=CategoryUpdate,
    public=CategoryPublic,
    delete_doc="Delete a custom category. Built-in categories cannot be deleted (409).",
)
