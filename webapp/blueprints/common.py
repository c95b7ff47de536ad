"""View helpers: fragment-or-page rendering and the htmx request checks."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import flash, render_template, request
from flask_babel import get_locale

from ..domain.refusals import Refusal
from ..extensions import db

T = TypeVar("T")


def is_htmx_fragment_request() -> bool:
    """An htmx request wants a fragment unless it is boosted or a history restore."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-Boosted") != "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def render(page: str, fragment: str | None = None, /, status: int = 200, **context):
    """Render the fragment for a plain htmx request, the whole page otherwise."""
    template = fragment if fragment and is_htmx_fragment_request() else page
    return render_template(template, **context), status


def number_from(source, name: str, default: int | None = 0) -> int | None:
    """A whole number from the query or the form, or `default` when it is missing, not a
    number or larger than any id or count Kvitt keeps."""
    from ..forms import INTEGER_LIMIT

    value = source.get(name, type=int)
    return value if value is not None and 0 <= value <= INTEGER_LIMIT else default


def page_number() -> int:
    """The list page asked for (`?page=`), from 1."""
    return max(1, number_from(request.args, "page", 1) or 1)


PAGE_SIZE = 50


def paginated(query, per_page: int = PAGE_SIZE):
    """One page of a list (`?page=`, from 1) with its total, for `_pager.html`: a page past
    the end is the last page's neighbour, empty, never an error."""
    from ..extensions import db

    return db.paginate(query, page=page_number(), per_page=per_page, error_out=False,
                       count=True)


def locale() -> str:
    return str(get_locale())


def refuse(error: Refusal, field, form=None) -> None:
    """Show a service's refusal next to the field it concerns: the one the service named (when
    `form` has it), else `field`. The view answers with status 422."""
    named = getattr(form, error.field, None) if form is not None and error.field else None
    target = named if named is not None else field
    target.errors = [*target.errors, error.message]


@dataclass(frozen=True)
class Done(Generic[T]):
    """A form's change that was made, with what the service call returned."""
    value: T


def submit(change: Callable[[], T], field, form=None) -> Done[T] | None:
    """A form's change: run the service call in the request's transaction, then commit and
    return Done(its result); or roll back, show the refusal at its field (`refuse`) and return
    None, after which the view answers the form again with status 422."""
    try:
        result = change()
    except Refusal as error:
        db.session.rollback()
        refuse(error, field, form)
        return None
    db.session.commit()
    return Done(result)


def act(change: Callable[[], T], done: Callable[[T], str | None]) -> bool:
    """A button's action, which has no field to show a refusal at: run the service call in
    the request's transaction, then commit and say what was done (`done` gets the call's
    result), or roll back and show the refusal in the error banner. True when it was done."""
    try:
        result = change()
    except Refusal as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    db.session.commit()
    message = done(result)
    if message:
        flash(message)
    return True


def invoice_download(invoice, extension: str):
    """An invoice or credit note as its PDF ("pdf") or its EHF Billing 3.0 ("xml")."""
    from flask import Response

    from ..services.ehf import ehf_filename, invoice_files
    from ..services.invoice_pdf import render_invoice_pdf
    from ..services.invoicing import document_of

    if extension == "pdf":
        document = document_of(invoice)
        name = ehf_filename(document).replace(".xml", ".pdf")
        return Response(render_invoice_pdf(document), mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"'})
    document, _pdf, xml = invoice_files(invoice)
    if xml is None:
        from flask import abort
        abort(404)  # the page says why: the buyer has no organisation number
    return Response(xml, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{ehf_filename(document)}"'})


def credit_from_form(invoice, form, show_page, page_endpoint: str):
    """Issue the credit note a CreditForm asks for: a refusal at its field (422), or the new
    credit note's page (303)."""
    from flask import flash, redirect, url_for
    from flask_babel import gettext as _

    from .. import clock
    from ..services.billing import credit_invoice

    if not form.validate():
        return show_page(invoice, credit_form=form, status=422)
    done = submit(lambda: credit_invoice(invoice, form.reason.data, clock.now(),
                                         **form.credit_arguments()), form.reason, form)
    if done is None:
        return show_page(db.session.get(type(invoice), invoice.id), credit_form=form,
                         status=422)
    flash(_("Credit note %(number)s is issued.", number=done.value.number))
    return redirect(url_for(page_endpoint, invoice_id=done.value.id), 303)
