from flask import Response
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound
from werkzeug.exceptions import RequestEntityTooLarge

from lemontaps.authz import admin_required
from lemontaps.extensions import db
from lemontaps.forms import EmptyForm
from lemontaps.imports import bp
from lemontaps.pushes import automatic
from lemontaps.services import csv_import as importer

PREVIEW_PAGE_SIZE = 100
# The file may be 5 MB; the multipart envelope adds a little.
ENVELOPE_BYTES = 64 * 1024


def _upload_or_404(import_id: str):
    found = importer.load_upload(current_user, import_id)
    if found is None:
        raise NotFound()
    return found


def _render_upload(error: str | None = None, status: int = 200):
    return render_template(
        "imports/upload.html",
        form=EmptyForm(),
        error=error,
        headers=importer.HEADERS,
        max_rows=importer.MAX_ROWS,
    ), status


@bp.route("/")
@admin_required
def upload_form():
    return _render_upload()


@bp.route("/", methods=["POST"])
@admin_required
def upload():
    limit = importer.MAX_BYTES + ENVELOPE_BYTES
    if (request.content_length or 0) > limit:
        # Refused before anything is parsed or spooled to disk.
        return _render_upload(_("The file is larger than 5 MB."), 413)
    request.max_content_length = limit
    try:
        file = request.files.get("file")
        form_ok = EmptyForm().validate_on_submit()
    except RequestEntityTooLarge:
        return _render_upload(_("The file is larger than 5 MB."), 413)
    if not form_ok:
        return _render_upload(_("The form expired. Please reload the page and try again."), 400)
    if file is None or not file.filename:
        return _render_upload(_("Choose a CSV file."), 422)
    raw = file.read(importer.MAX_BYTES + 1)
    file.close()
    try:
        parsed = importer.parse(raw, current_user, current_user.account.users)
    except importer.ImportError_ as error:
        return _render_upload(str(error.message), error.status)
    upload = importer.save_upload(current_user, file.filename, parsed)
    db.session.commit()
    return redirect(url_for("imports.preview", import_id=upload.id))


@bp.route("/<import_id>")
@admin_required
def preview(import_id: str):
    upload, parsed = _upload_or_404(import_id)
    show = "invalid" if request.args.get("show") == "invalid" else "all"
    rows = parsed.invalid_rows if show == "invalid" else parsed.rows
    pages = max(1, -(-len(rows) // PREVIEW_PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    shown = rows[(page - 1) * PREVIEW_PAGE_SIZE : page * PREVIEW_PAGE_SIZE]
    return render_template(
        "imports/preview.html",
        upload=upload,
        parsed=parsed,
        rows=shown,
        show=show,
        page=page,
        pages=pages,
        form=EmptyForm(),
        error_message=lambda row: importer.error_message(parsed, row),
        users={u.id: u for u in current_user.account.users},
    )


@bp.route("/<import_id>", methods=["POST"])
@admin_required
def run_import(import_id: str):
    upload, parsed = _upload_or_404(import_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("imports.preview", import_id=upload.id))
    if upload.imported_at is not None:
        flash(_("This file was already imported."), "info")
        return redirect(url_for("imports.preview", import_id=upload.id))
    ids = importer.import_valid_rows(current_user, upload, parsed)
    account_id = current_user.account_id
    db.session.commit()
    if ids:
        automatic.contacts_created(account_id, ids)
    return redirect(url_for("imports.preview", import_id=upload.id))


@bp.route("/<import_id>/invalid-rows.csv")
@admin_required
def download_invalid(import_id: str):
    upload, parsed = _upload_or_404(import_id)
    body = importer.invalid_rows_csv(parsed, _("Error"))
    name = (upload.filename.rsplit(".", 1)[0] or "import") + "-invalid-rows.csv"
    safe_name = "".join(c for c in name if c.isalnum() or c in "-_.") or "invalid-rows.csv"
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{safe_name}"'},
    )
