"""All SQL for sites."""

from __future__ import annotations

from callscope.db.repository import TenantRepository
from callscope.sites.models import Site


class SiteRepository(TenantRepository[Site]):
    model = Site
    noun = "site"
