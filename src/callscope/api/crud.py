"""One router shape for every resource: list, create, get, update (PATCH), delete.

Each domain supplies its service (the rules) and schema family; this module only does HTTP:
parse, call the service, commit, shape the answer. The request owns the transaction.
"""

from typing import Annotated, Any, Protocol, TypeVar

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from callscope.accounts.auth import CurrentPrincipal
from callscope.api.deps import IdPath, SessionDep
from callscope.api.pagination import ListQuery, Page, to_page

M = TypeVar("M")


class CrudService(Protocol):
    def __init__(self, session: Session, account_id: int) -> None: ...
    def list(self, query: Any) -> tuple[Any, int | None]: ...
    def get(self, object_id: int) -> Any: ...
    def create(self, data: Any) -> Any: ...
    def update(self, object_id: int, data: Any) -> Any: ...
    def delete(self, object_id: int) -> None: ...


def crud_router(
    *,
    prefix: str,
    noun: str,
    service: type[CrudService],
    create: type[BaseModel],
    update: type[BaseModel],
    public: type[BaseModel],
    filters: type[ListQuery] = ListQuery,
    delete_doc: str = "Delete it.",
) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[prefix.strip("/")])

    @router.get("", response_model=Page[public], summary=f"List {noun}s")  # type: ignore[valid-type]
    def list_(
        session: SessionDep,
        who: CurrentPrincipal,
        query: Annotated[filters, Query()],  # type: ignore[valid-type]
    ) -> Any:
        rows, last = service(session, who.account_id).list(query)
        return to_page(rows, last, public)

    @router.post("", response_model=public, status_code=201, summary=f"Create a {noun}")
    def create_(data: create, session: SessionDep, who: CurrentPrincipal) -> Any:  # type: ignore[valid-type]
        obj = service(session, who.account_id).create(data)
        session.commit()
        return public.model_validate(obj)

    @router.get("/{object_id}", response_model=public, summary=f"Get a {noun}")
    def get_(object_id: IdPath, session: SessionDep, who: CurrentPrincipal) -> Any:
        return public.model_validate(service(session, who.account_id).get(object_id))

    @router.patch("/{object_id}", response_model=public, summary=f"Update a {noun}")
    def update_(
        object_id: IdPath,
        data: update,  # type: ignore[valid-type]
        session: SessionDep,
        who: CurrentPrincipal,
    ) -> Any:
        obj = service(session, who.account_id).update(object_id, data)
        session.commit()
        return public.model_validate(obj)

    @router.delete(
        "/{object_id}", status_code=204, summary=f"Delete a {noun}", description=delete_doc
    )
    def delete_(object_id: IdPath, session: SessionDep, who: CurrentPrincipal) -> Response:
        service(session, who.account_id).delete(object_id)
        session.commit()
        return Response(status_code=204)

    return router
