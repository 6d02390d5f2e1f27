"""HTTP for jobs: what is queued, running, done or failed, and why; retry a failed one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import Field
from sqlalchemy import select

from callscope.accounts.auth import CurrentPrincipal
from callscope.api.deps import IdPath, SessionDep
from callscope.api.pagination import ListQuery, Page, encode_cursor
from callscope.api.problems import Conflict, NotFound
from callscope.api.types import OutputModel
from callscope.jobs import service
from callscope.jobs.models import Job, JobState

router = APIRouter(prefix="/jobs", tags=["jobs"])


class JobPublic(OutputModel):
    id: int
    kind: str
    queue: str
    call_id: int | None
    state: Literal["queued", "running", "done", "failed"]
    attempts: int
    error: str | None
    run_after: datetime
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    worker: str | None


class JobQuery(ListQuery):
    state: Literal["queued", "running", "done", "failed"] | None = None
    call_id: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = None
    kind: Literal["analyze"] | None = None


def public(job: Job) -> JobPublic:
    return JobPublic.model_validate(job, from_attributes=True)


@router.get("", response_model=Page[JobPublic], summary="Jobs, newest first, filtered")
def list_jobs(
    q: Annotated[JobQuery, Query()], session: SessionDep, who: CurrentPrincipal
) -> Page[JobPublic]:
    stmt = select(Job).where(Job.account_id == who.account_id)
    if q.state:
        stmt = stmt.where(Job.state == q.state)
    if q.call_id:
        stmt = stmt.where(Job.call_id == q.call_id)
    if q.kind:
        stmt = stmt.where(Job.kind == q.kind)
    after = q.after_id()
    if after is not None:
        stmt = stmt.where(Job.id < after)
    rows = list(session.scalars(stmt.order_by(Job.id.desc()).limit(q.limit + 1)))
    cursor = encode_cursor(rows[q.limit - 1].id) if len(rows) > q.limit else None
    return Page[JobPublic](items=[public(j) for j in rows[: q.limit]], next_cursor=cursor)


@router.get("/{job_id}", response_model=JobPublic, summary="One job")
def get_job(job_id: IdPath, session: SessionDep, who: CurrentPrincipal) -> JobPublic:
    job = session.get(Job, job_id)
    if job is None or job.account_id != who.account_id:
        raise NotFound("job")
    return public(job)


@router.post("/{job_id}/retry", response_model=JobPublic, summary="Run a failed or done job again")
def retry_job(job_id: IdPath, session: SessionDep, who: CurrentPrincipal) -> JobPublic:
    job = session.get(Job, job_id)
    if job is None or job.account_id != who.account_id:
        raise NotFound("job")
    if job.state in (JobState.queued.value, JobState.running.value):
        raise Conflict(f"the job is {job.state}; only done or failed jobs are retried")
    service.requeue(session, Job.id == job_id)
    session.commit()
    session.refresh(job)
    return public(job)
