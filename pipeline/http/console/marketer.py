"""The marketer's console pages: the dashboard, the check (upload, preview, progress, downloads),
past checks and the lookup. Marketers and admins use them all; auditors see the dashboard and
the lookup. The check runs through `pipeline.check.run.run_check` (`marketer_jobs`), as
`optout check` and the JSON API do; every view of an upload's rows, every download and every
lookup is written to the access log."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from pipeline.access.log import Access, record, subject_hash
from pipeline.core.errors import OptoutError
from pipeline.http.console import marketer_data as data
from pipeline.http.console import marketer_jobs as jobs
from pipeline.http.console.auth import ConsoleUser, require, require_csrf
from pipeline.http.console.pages import render

router = APIRouter()
MARKETER = require("marketer")
MARKETER_OR_AUDITOR = require("marketer", "auditor")
MEDIA = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet", "json": "application/json"}


def _state(request: Request) -> Any:
    return request.app.state


def _log(request: Request, user: ConsoleUser, action: str, page: str, detail: str = "", subject: str | None = None) -> None:
    client = request.client.host if request.client else ""
    record(_state(request).engine, Access(user.name, user.role, action, page, subject, detail, client), _state(request).clock.now())


@router.get("/")
def dashboard(request: Request, user: ConsoleUser = Depends(MARKETER_OR_AUDITOR)) -> Response:
    s = _state(request)
    return render(request, "marketer_dashboard.html", user, board=data.dashboard(s.engine, s.settings, s.clock.now()))


@router.get("/check")
def check_form(request: Request, user: ConsoleUser = Depends(MARKETER)) -> Response:
    s = _state(request)
    return render(request, "marketer_check.html", user, board=data.dashboard(s.engine, s.settings, s.clock.now()))


def _form_error(request: Request, user: ConsoleUser, message: str, status_code: int, **fields: Any) -> Response:
    s = _state(request)
    return render(request, "marketer_check.html", user, status_code=status_code, message=message,
                  board=data.dashboard(s.engine, s.settings, s.clock.now()), **fields)


@router.post("/check", dependencies=[Depends(require_csrf)])
async def upload(request: Request, user: ConsoleUser = Depends(MARKETER)) -> Response:
    form = await request.form()
    file, campaign, kind = form.get("file"), form.get("campaign"), form.get("kind")
    fields = {"campaign": campaign if isinstance(campaign, str) else "", "kind": kind if isinstance(kind, str) else ""}
    if not isinstance(file, UploadFile) or not file.filename:
        return _form_error(request, user, "Choose a file to check (field file).", 400, **fields)
    try:
        info = await run_in_threadpool(jobs.save_upload, request.app.state.settings, user.name, file.file, file.filename,
                                       fields["campaign"], fields["kind"] or "marketing")
    except OptoutError as exc:
        return _form_error(request, user, str(exc), 400 if exc.field == "file" else 422, **fields)
    finally:
        await file.close()
    return RedirectResponse(f"/console/check/{info.job_id}", status_code=303)


def _job(request: Request, user: ConsoleUser, job_id: str) -> jobs.JobInfo:
    """The job, only for the user who uploaded it (and admins); anything else is 404."""
    info = jobs.load(_state(request).settings, job_id) if jobs.JOB_ID.fullmatch(job_id) else None
    if info is None or (info.owner != user.name and user.role != "admin"):
        raise _NotFound(f"There is no check {job_id[:40]!r} of yours.")
    return info


class _NotFound(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def _not_found(request: Request, user: ConsoleUser, message: str) -> Response:
    return render(request, "error.html", user, status_code=404, heading="Not found", message=message)


@router.get("/check/{job_id}")
def job_page(request: Request, job_id: str, column: str | None = None, user: ConsoleUser = Depends(MARKETER)) -> Response:
    s = _state(request)
    try:
        info = _job(request, user, job_id)
    except _NotFound as exc:
        return _not_found(request, user, exc.message)
    if info.state == "uploaded":
        try:
            shown = jobs.preview(s.settings, info, column)
        except OptoutError as exc:
            message = str(exc).replace(str(jobs.input_path(s.settings, info)), info.shown_name)
            return render(request, "marketer_job.html", user, status_code=400 if exc.field != "column" else 422, job=info,
                          problem=message)
        _log(request, user, "view", "check preview", f"upload {info.job_id[:12]} preview")
        return render(request, "marketer_preview.html", user, status_code=200 if shown.chosen is not None else 422,
                      job=info, preview=shown)
    read, total = jobs.progress(s.settings, info)
    status = {"done": 200, "running": 200, "refused": 409}.get(info.state, 422)
    return render(request, "marketer_job.html", user, status_code=status, job=info, read=read, total=total,
                  written=jobs.written(s.settings, info))


@router.post("/check/{job_id}/run", dependencies=[Depends(require_csrf)])
async def run(request: Request, job_id: str, user: ConsoleUser = Depends(MARKETER)) -> Response:
    s = _state(request)
    try:
        info = _job(request, user, job_id)
    except _NotFound as exc:
        return _not_found(request, user, exc.message)
    chosen = (await request.form()).get("column")
    column = chosen if isinstance(chosen, str) and chosen else None
    if info.state == "uploaded":
        shown = await run_in_threadpool(jobs.preview, s.settings, info, None)
        if column is not None and shown.chosen is not None and shown.header[shown.chosen] == column:
            column = None  # the column the check finds itself: checked exactly as `optout check` would
        elif column is not None and column not in shown.header:
            return render(request, "marketer_preview.html", user, status_code=422, job=info, preview=shown,
                          message=f"There is no column {column[:80]!r} in this file (field column).")
        await run_in_threadpool(jobs.start, s.engine, s.settings, s.clock, info, user.name, column)
    return RedirectResponse(f"/console/check/{info.job_id}", status_code=303)


@router.get("/check/{job_id}/status")
def job_status(request: Request, job_id: str, user: ConsoleUser = Depends(MARKETER)) -> Response:
    try:
        info = _job(request, user, job_id)
    except _NotFound as exc:
        return JSONResponse({"state": "unknown", "message": exc.message}, status_code=404)
    read, total = jobs.progress(_state(request).settings, info)
    body: dict[str, Any] = {"state": info.state, "bytes_read": read, "bytes_total": total, "message": info.message,
                            "bytes_written": jobs.written(_state(request).settings, info)}
    if info.state == "done":
        body["check_id"] = info.result.get("check_id")
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/checks")
def past_checks(request: Request, page: int = 1, user: ConsoleUser = Depends(MARKETER)) -> Response:
    page = max(1, min(page, 1_000_000))
    checks, total = data.past_checks(_state(request).engine, page)
    pages = max(1, (total + data.PER_PAGE - 1) // data.PER_PAGE)
    return render(request, "marketer_checks.html", user, checks=checks, page=page, pages=pages, total=total)


@router.get("/checks/{check_id}/{which}")
def download(request: Request, check_id: int, which: str, user: ConsoleUser = Depends(MARKETER)) -> Response:
    s = _state(request)
    row = data.check_row(s.engine, check_id) if which in data.FILES and 0 < check_id < 2**62 else None
    if row is None:
        return _not_found(request, user, f"There is no check {check_id} with a {which[:20]!r} file.")
    path, problem, status = data.download_problem(s.settings, row, which, jobs.digest_ok)
    if path is None:
        return render(request, "error.html", user, status_code=status,
                      heading="Not available", message=problem[0].upper() + problem[1:] + ".")
    _log(request, user, "download", f"check {which}", f"check {check_id} {which}")
    suffix = "json" if which == "receipt" else ("parquet" if path.suffix == ".parquet" else "csv")
    name = f"check-{check_id}-{which}.{suffix}"  # check-7-send.csv, check-7-removed.csv, check-7-receipt.json
    return FileResponse(path, media_type=MEDIA[suffix], filename=name, headers={"Cache-Control": "no-store"})


@router.get("/lookup")
def lookup(request: Request, address: str | None = None, user: ConsoleUser = Depends(MARKETER_OR_AUDITOR)) -> Response:
    if address is None:
        return render(request, "marketer_lookup.html", user)
    s = _state(request)
    try:
        status = data.status_of(s.engine, s.settings, address)
    except OptoutError as exc:
        return render(request, "marketer_lookup.html", user, status_code=422, address=address[:320], message=str(exc))
    _log(request, user, "view", "lookup", "marketer lookup", subject_hash(s.settings.hash_key, status.address))
    return render(request, "marketer_lookup.html", user, address=status.address, status=status)
