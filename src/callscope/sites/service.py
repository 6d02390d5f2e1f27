"""Rules for sites: each gets an unguessable public key; domain lists have no duplicates."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from callscope.accounts.security import new_public_key
from callscope.api.pagination import ListQuery
from callscope.sites.models import Site
from callscope.sites.repository import SiteRepository
from callscope.sites.schemas import SiteCreate, SiteUpdate


def _unique(domains: list[str]) -> list[str]:
    return list(dict.fromkeys(domains))


class SiteService:
    def __init__(self, session: Session, account_id: int) -> None:
        self.session = session
        self.repo = SiteRepository(session, account_id)

    def list(self, query: ListQuery) -> tuple[Sequence[Site], int | None]:
        return self.repo.page(query.limit, query.after_id())

    def get(self, site_id: int) -> Site:
        return self.repo.require(site_id)

    def create(self, data: SiteCreate) -> Site:
        site = Site(
            name=data.name,
            domains=_unique(data.domains),
            business_number=data.business_number,
            site_key=new_public_key(),
        )
        return self.repo.add(site)

    def update(self, site_id: int, data: SiteUpdate) -> Site:
        site = self.get(site_id)
        changes = data.model_dump(exclude_unset=True)
        if "domains" in changes:
            changes["domains"] = _unique(changes["domains"])
        for field, value in changes.items():
            setattr(site, field, value)
        self.session.flush()
        return site

    def delete(self, site_id: int) -> None:
        self.repo.delete(self.get(site_id), "the site has number pools; delete them first")
