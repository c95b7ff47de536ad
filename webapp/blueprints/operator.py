"""The operator console: orders, invoices, payments, the mail log, the jobs and the test clock."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import clock
from ..cli import parse_delta
from ..domain.statuses import (
    LICENCE_TRIAL,
    ClaimStatus,
    OrderStatus,
    PaymentStatus,
    StatusError,
)
from ..extensions import db
from ..forms import EmptyForm
from ..forms.agreements import PartnerRegistrationForm
from ..forms.billing import (
    CloseAccountForm,
    CreditForm,
    EnterpriseTermsForm,
    ImportForm,
    MandateRegistrationForm,
    MatchForm,
    PaymentForm,
)
from ..forms.portal import SupportReplyForm
from ..models import (
    AvtaleGiroClaim,
    AvtaleGiroFile,
    AvtaleGiroMandate,
    Company,
    CustomerAgreement,
    DunningEvent,
    Invoice,
    JobState,
    LicenceSubscription,
    Order,
    OutboxMail,
    ParkedTransaction,
    Payment,
    PaymentImport,
    SupportRequest,
)
from ..services import (
    avtalegiro,
    bank_files,
    cancellation,
    catalog,
    export,
    outbox,
    payments,
    plans,
    trials,
)
from ..services import collaboration as collaboration_service
from ..services import support as support_service
from ..services.billing import INVOICE_FILTERS, licence_invoices
from ..templating import job_label, local_date, local_datetime, support_status_label
from .common import (
    act,
    credit_from_form,
    invoice_download,
    locale,
    number_from,
    page_number,
    paginated,
    render,
    submit,
)

bp = Blueprint("operator", __name__, url_prefix="/operator")
PAGE_SIZE = 50


@bp.before_request
@login_required
def require_operator():
    if not current_user.is_operator:
        abort(404)


def _page() -> int:
    return page_number()


@bp.get("/")
def orders():
    status = request.args.get("status") or ""
    # A status the list does not know shows every order sent, as no status does.
    query = select(Order).where(Order.status == OrderStatus(status)) \
        if status in set(OrderStatus) else select(Order).where(Order.status != OrderStatus.DRAFT)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(Order.id.desc()).offset((_page() - 1) * PAGE_SIZE)
                              .limit(PAGE_SIZE)).all()
    return render("operator/orders.html", orders=rows, status_filter=status, total=total,
                  page=_page(),
                  page_size=PAGE_SIZE)


@bp.get("/mail")
def mail_log():
    query = select(OutboxMail)
    to = (request.args.get("to") or "").strip()
    if to:
        query = query.where(OutboxMail.to_address.ilike(f"%{to}%"))
    rows = db.session.scalars(query.order_by(OutboxMail.id.desc())
                              .offset((_page() - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return render("operator/mail_log.html", mails=rows, to=to, page=_page(),
                  page_size=PAGE_SIZE, parked=outbox.parked_mail())


@bp.get("/mail/<int:mail_id>")
def mail_message(mail_id: int):
    """The message as sent, except that outside development the secret part of a link that
    logs in or sets a password is hidden: the customer got it, the operator does not."""
    mail = db.get_or_404(OutboxMail, mail_id)
    body = mail.body_text if current_app.config["DEVELOPMENT"] else \
        outbox.hide_link_secrets(mail.body_text)
    return render("operator/mail_message.html", mail=mail, body=body, form=EmptyForm())


@bp.post("/mail/<int:mail_id>/retry")
def retry_mail(mail_id: int):
    """A parked mail goes back into the outbox, due now."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    db.get_or_404(OutboxMail, mail_id)
    if outbox.retry_failed(mail_id, clock.now()):
        db.session.commit()
        flash(_("The e-mail is back in the outbox and goes out with the next delivery."),
              "success")
    else:
        flash(_("Only a parked e-mail can be sent again."), "error")
    return redirect(url_for("operator.mail_message", mail_id=mail_id), code=303)


@bp.get("/jobs")
def jobs_page():
    import jobs

    states = {state.name: state for state in db.session.scalars(select(JobState))}
    return render("operator/jobs.html", names=jobs.JOB_NAMES, states=states, form=EmptyForm(),
                  heartbeat=jobs.last_heartbeat(),
                  interval=current_app.config["SCHEDULER_INTERVAL_SECONDS"])


@bp.post("/jobs/<name>/run")
def run_job_now(name: str):
    import jobs

    if name not in jobs.JOB_NAMES:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    outcome = jobs.run_job(name)
    if outcome.ok:
        flash(_("%(job)s ran: %(count)s done.", job=job_label(name), count=outcome.count),
              "success")
    else:
        flash(_("%(job)s failed: %(error)s", job=job_label(name), error=outcome.error), "error")
    return redirect(url_for("operator.jobs_page"), code=303)


@bp.route("/clock", methods=["GET", "POST"])
def test_clock():
    allowed = current_app.config["TEST_CLOCK_ALLOWED"]
    form = EmptyForm()
    error = None
    if request.method == "POST":
        if not allowed:
            abort(403)
        if form.validate_on_submit():
            try:
                if request.form.get("action") == "reset":
                    clock.reset_test_clock()
                elif request.form.get("advance"):
                    clock.advance_test_clock(parse_delta(request.form["advance"]))
                else:
                    clock.set_test_clock(dt.datetime.fromisoformat(request.form.get("moment", "")))
            except ValueError:
                db.session.rollback()
                error = _("Use a date and time like 2026-04-20T08:00, or an advance like 3d.")
            else:
                db.session.commit()
                flash(_("The clock now shows %(now)s.",
                        now=local_datetime(clock.now())))
                return redirect(url_for("operator.test_clock"), 303)
    return render("operator/clock.html", form=form, allowed=allowed, now=clock.local(clock.now()),
                  frozen=clock.is_test_clock(), error=error,
                  status=422 if error else 200)


# --- billing ------------------------------------------------------------------------------

@bp.get("/invoices")
def invoices():
    status = request.args.get("status") if request.args.get("status") in INVOICE_FILTERS else ""
    pagination = paginated(licence_invoices(status, clock.today()).order_by(Invoice.id.desc()))
    return render("operator/invoices.html", pagination=pagination, status_filter=status,
                  today=clock.today(), filters=INVOICE_FILTERS)


def _invoice_page(invoice, payment_form=None, credit_form=None, status=200):
    payment_form = payment_form or PaymentForm(kid=invoice.kid, paid_on=clock.today())
    return render("operator/invoice.html", invoice=invoice, today=clock.today(),
                  payment_form=payment_form,
                  credit_form=credit_form or CreditForm(invoice=invoice),
                  dialogue_form=EmptyForm(), status=status,
                  payments=payments.invoice_payments(invoice.id),
                  events=db.session.scalars(select(DunningEvent).where(
                      DunningEvent.invoice_id == invoice.id).order_by(DunningEvent.id)).all())


def _licence_invoice(invoice_id: int) -> Invoice:
    found = db.get_or_404(Invoice, invoice_id)
    if found.agreement_id is None:
        abort(404)  # a company's own sales invoice is not the vendor's
    return found


@bp.get("/invoices/<int:invoice_id>")
def invoice(invoice_id: int):
    return _invoice_page(_licence_invoice(invoice_id))


@bp.get("/invoices/<int:invoice_id>.<any(pdf, xml):extension>")
def invoice_file(invoice_id: int, extension: str):
    return invoice_download(_licence_invoice(invoice_id), extension)


@bp.post("/invoices/<int:invoice_id>/payments")
def register_invoice_payment(invoice_id: int):
    found = _licence_invoice(invoice_id)
    form = PaymentForm()
    if not form.validate():
        return _invoice_page(found, payment_form=form, status=422)
    if not submit(lambda: payments.register_payment(
            form.kid.data or found.kid or "", form.amount_ore, form.paid_on.data, clock.now(),
            user_id=current_user.id), form.amount, form):
        return _invoice_page(found, payment_form=form, status=422)
    flash(_("The payment is registered."))
    return redirect(url_for("operator.invoice", invoice_id=invoice_id), 303)


@bp.post("/invoices/<int:invoice_id>/credit")
def credit(invoice_id: int):
    found = _licence_invoice(invoice_id)
    return credit_from_form(found, CreditForm(invoice=found), _invoice_page, "operator.invoice")


@bp.post("/invoices/<int:invoice_id>/dialogue")
def dialogue(invoice_id: int):
    found = _licence_invoice(invoice_id)
    if EmptyForm().validate_on_submit():
        payments.set_dialogue(found, request.form.get("in_dialogue") == "1")
        db.session.commit()
    return redirect(url_for("operator.invoice", invoice_id=invoice_id), 303)


def _payments_page(form: ImportForm, error: str | None = None, status: int = 200):
    imports = db.session.scalars(select(PaymentImport).order_by(PaymentImport.id.desc())
                                 .limit(50)).all()
    unmatched = db.session.scalars(select(Payment).where(Payment.status == PaymentStatus.UNMATCHED)
                                   .order_by(Payment.id.desc()).limit(200)).all()
    pagination = paginated(select(Payment).where(Payment.status == PaymentStatus.MATCHED)
                           .options(selectinload(Payment.invoice))
                           .order_by(Payment.id.desc()))
    return render("operator/payments.html", form=form, error=error, imports=imports,
                  unmatched=unmatched, pagination=pagination, match_form=MatchForm(),
                  status=status)


@bp.get("/payments")
def payments_page():
    return _payments_page(ImportForm())


@bp.post("/payments")
def import_payments():
    """Upload an OCR giro or camt.054 file: applied whole, or refused whole with the line
    and the reason."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _payments_page(form, status=422)
    upload = form.file.data
    done = submit(lambda: bank_files.import_bank_file(upload.read(), upload.filename or "",
                                                      clock.now(), current_user.id),
                  form.file, form)
    if done is None:
        return _payments_page(form, status=422)
    record = done.value
    flash(_("%(n)s transactions read: %(m)s matched, %(u)s without an invoice.",
            n=record.transactions, m=record.matched, u=record.unmatched))
    return redirect(url_for("operator.payment_import", import_id=record.id), 303)


@bp.get("/payments/imports/<int:import_id>")
def payment_import(import_id: int):
    """Reconciliation of one bank file: what it held by its own totals, what was matched in
    full or in part, overpaid, left without an invoice, parked or already registered."""
    record = db.get_or_404(PaymentImport, import_id)
    rows = db.session.scalars(select(Payment).where(Payment.import_id == import_id)
                              .order_by(Payment.status.desc(), Payment.id)
                              .offset((_page() - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    parked = db.session.scalars(select(ParkedTransaction).where(
        ParkedTransaction.import_id == import_id).order_by(ParkedTransaction.position)
        .limit(500)).all()
    return render("operator/payment_import.html", record=record, payments=rows, parked=parked,
                  match_form=MatchForm(), page=_page(), page_size=PAGE_SIZE,
                  total=record.matched + record.unmatched)


@bp.post("/payments/<int:payment_id>/match")
def match(payment_id: int):
    payment = db.get_or_404(Payment, payment_id)
    form = MatchForm()
    target = None
    if form.validate():
        target = db.session.scalar(select(Invoice).where(
            Invoice.number == form.invoice_number.data, Invoice.kind == "invoice",
            payments.LICENCE_INVOICE))
        if target is None:
            flash(_("There is no invoice number %(n)s.", n=form.invoice_number.data))
    else:
        flash(_("Write the invoice number."))
    if target is not None:
        act(lambda: payments.match_payment(payment, target),
            lambda _done: _("The payment is matched to invoice %(n)s.", n=target.number))
    if payment.import_id is not None:
        return redirect(url_for("operator.payment_import", import_id=payment.import_id), 303)
    return redirect(url_for("operator.payments_page"), 303)


def _avtalegiro_page(form: MandateRegistrationForm | None = None, status: int = 200):
    mandates = db.session.execute(
        select(AvtaleGiroMandate, CustomerAgreement)
        .join(CustomerAgreement, CustomerAgreement.id == AvtaleGiroMandate.agreement_id)
        .where(AvtaleGiroMandate.status.in_(avtalegiro.IN_FORCE))
        .order_by(AvtaleGiroMandate.status.desc(), AvtaleGiroMandate.id)).all()
    claims = db.session.scalars(select(AvtaleGiroClaim).where(
        AvtaleGiroClaim.status.in_((ClaimStatus.PENDING, ClaimStatus.SENT,
                                     ClaimStatus.CANCELLING, ClaimStatus.FAILED)))
        .order_by(AvtaleGiroClaim.due_date, AvtaleGiroClaim.id).limit(200)).all()
    files = db.session.scalars(select(AvtaleGiroFile).order_by(AvtaleGiroFile.id.desc())
                               .limit(50)).all()
    owners = [agreement.owner_company_id for _mandate, agreement in mandates]
    login_ids = dict(db.session.execute(select(Company.id, Company.login_id).where(
        Company.id.in_(owners))).all()) if owners else {}
    return render("operator/avtalegiro.html", mandates=mandates, claims=claims, files=files,
                  login_ids=login_ids,
                  form=form or MandateRegistrationForm(), action_form=EmptyForm(),
                  status=status)


@bp.get("/avtalegiro")
def avtalegiro_page():
    return _avtalegiro_page()


@bp.post("/avtalegiro/mandates")
def register_mandate():
    """A mandate the bank confirmed outside a file, registered by hand."""
    form = MandateRegistrationForm()
    if not form.validate_on_submit():
        return _avtalegiro_page(form, 422)
    company = db.session.scalar(select(Company).where(
        Company.login_id == form.login_id.data.strip()))
    agreement = db.session.get(CustomerAgreement, company.agreement_id) \
        if company is not None and company.agreement_id else None
    if agreement is None:
        form.login_id.errors.append(_("No customer with an agreement has this id."))
        return _avtalegiro_page(form, 422)
    avtalegiro.activate(agreement.id, clock.now(), "operator")
    db.session.commit()
    flash(_("AvtaleGiro is active for %(name)s.", name=agreement.name))
    return redirect(url_for("operator.avtalegiro_page"), 303)


@bp.post("/avtalegiro/mandates/<int:mandate_id>/<any(confirm, stop):action>")
def mandate_action(mandate_id: int, action: str):
    mandate = db.get_or_404(AvtaleGiroMandate, mandate_id)
    if EmptyForm().validate_on_submit():
        try:
            if action == "confirm":
                avtalegiro.activate(mandate.agreement_id, clock.now(), "operator")
            else:
                avtalegiro.cancel_mandate(mandate, clock.now())
            db.session.commit()
        except (avtalegiro.AvtaleGiroError, StatusError):  # confirmed or stopped meanwhile
            db.session.rollback()
            flash(_("The mandate has changed meanwhile; see its status now."))
    return redirect(url_for("operator.avtalegiro_page"), 303)


@bp.post("/avtalegiro/files")
def write_avtalegiro_file():
    """Claim what is due now and write the file (the daily job does the same)."""
    if EmptyForm().validate_on_submit():
        now = clock.now()
        avtalegiro.create_claims(clock.local(now).date(), now)
        record = avtalegiro.write_claim_file(now)
        db.session.commit()
        flash(_("Claim file %(n)s written.", n=record.number) if record else
              _("Nothing to claim or cancel now."))
    return redirect(url_for("operator.avtalegiro_page"), 303)


@bp.get("/avtalegiro/files/<int:file_id>.txt")
def avtalegiro_file(file_id: int):
    record = db.get_or_404(AvtaleGiroFile, file_id)
    return Response(record.content, mimetype="text/plain", headers={
        "Content-Disposition": f"attachment; filename=AVTALEGIRO.{record.number}.txt"})


@bp.get("/dunning")
def dunning():
    today = clock.today()
    pagination = paginated(licence_invoices("overdue", today)
                           .order_by(Invoice.dunning_stage.desc(), Invoice.due_date, Invoice.id))
    return render("operator/dunning.html", pagination=pagination, today=today)


@bp.get("/dunning/debt-collection.csv")
def debt_collection_export():
    """The hand-over file for the debt collection agency."""
    content = export.csv_text(
        ["invoice_number", "kid", "customer", "organisation_number", "email", "invoice_date",
         "due_date", "amount_due", "handed_over"],
        ([row.number, row.kid, row.buyer_name, row.buyer_organisation_number or "",
          row.buyer_email, row.invoice_date, row.due_date,
          (Decimal(row.open_ore) / 100).quantize(Decimal("0.01")),
          clock.local(row.handed_over_at).date()]
         for row in payments.debt_collection_rows() if row.open_ore))
    return Response(content, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="inkasso.csv"'})


@bp.route("/trials", methods=["GET", "POST"])
def trials_page():
    """Trials running and ended; support can extend one."""
    if request.method == "POST" and EmptyForm().validate_on_submit():
        subscription = db.get_or_404(LicenceSubscription, number_from(request.form,
                                                                      "subscription_id"))
        act(lambda: trials.extend_trial(subscription, number_from(request.form, "days") or 0,
                                        clock.now()),
            lambda ends: _("The trial now ends %(date)s.", date=local_date(ends)))
        return redirect(url_for("operator.trials_page"), 303)
    rows = db.session.execute(
        select(LicenceSubscription, Company.name)
        .join(Company, Company.agreement_id == LicenceSubscription.agreement_id)
        .where(LicenceSubscription.is_trial,
               LicenceSubscription.status.in_(LICENCE_TRIAL))
        .order_by(LicenceSubscription.trial_ends_on)).all()
    return render("operator/trials.html", rows=rows, form=EmptyForm(), today=clock.today())


@bp.route("/cancellations", methods=["GET", "POST"])
def cancellations():
    """Cancellations waiting to take effect; one can be taken back before its day."""
    if request.method == "POST" and EmptyForm().validate_on_submit():
        subscription = db.get_or_404(LicenceSubscription, number_from(request.form,
                                                                      "subscription_id"))
        try:
            cancellation.undo(subscription, clock.now())
            db.session.commit()
            flash(_("The cancellation is undone."))
        except cancellation.CancellationError:
            db.session.rollback()
            flash(_("Too late: the cancellation has taken effect."))
        return redirect(url_for("operator.cancellations"), 303)
    return _cancellations_page(CloseAccountForm(formdata=None))


def _cancellations_page(close_form: CloseAccountForm, status: int = 200):
    rows = [(s, db.session.scalar(select(Company.name).where(
        Company.agreement_id == s.agreement_id))) for s in cancellation.pending_cancellations()]
    closed = db.session.scalars(select(Company).where(Company.closed_on.is_not(None))
                                .order_by(Company.closed_on.desc()).limit(50)).all()
    return render("operator/cancellations.html", rows=rows, form=EmptyForm(),
                  close_form=close_form, closed=closed, today=clock.today(), status=status)




@bp.post("/accounts/close")
def close_account():
    """Seed 001: close the account of a bankrupt or dissolved company."""
    form = CloseAccountForm()
    if form.validate():
        company = db.session.scalar(select(Company).where(
            Company.login_id == form.login_id.data.strip(), Company.kind != "vendor"))
        if company is None:
            form.login_id.errors = [_("No customer has this customer id.")]
        else:
            done = submit(lambda: cancellation.close_account(
                company, form.reason.data, form.note.data or "", clock.now(),
                credit_open=form.credit_open.data), form.login_id, form)
            if done is not None:
                flash(_("The account of %(company)s is closed: %(n)s subscriptions end today, "
                        "%(c)s open invoices credited. Invoices and credit notes are kept.",
                        company=company.name, n=done.value["subscriptions"],
                        c=done.value["credited"]))
                return redirect(url_for("operator.cancellations"), 303)
    return _cancellations_page(form, status=422)


@bp.route("/enterprise", methods=["GET", "POST"])
def enterprise_terms():
    """Kvitt eFaktura Enterprise: the monthly price and the licences are set by contract."""
    form = EnterpriseTermsForm()
    if request.method == "POST":
        if form.validate():
            done = submit(lambda: plans.set_enterprise_terms(
                form.login_id.data, form.monthly_ore, form.licences.data), form.login_id, form)
            if done is not None:
                flash(_("Enterprise terms are set for %(name)s.", name=done.value.name))
                return redirect(url_for("operator.enterprise_terms"), 303)
        return render("operator/enterprise.html", form=form, status=422)
    return render("operator/enterprise.html", form=form)


@bp.route("/partners", methods=["GET", "POST"])
def partners():
    """Accounting firms: the list, and registering one with its first administrator."""
    form = PartnerRegistrationForm(editions=catalog.shop_editions(),
                                   intervals=catalog.intervals(), locale=locale())
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                company, admin = collaboration_service.register_partner(
                    clock.now(), company_name=form.company_name.data,
                    organisation_number=form.organisation_number.data, email=form.email.data,
                    phone=form.phone.data, first_name=form.first_name.data.strip(),
                    last_name=form.last_name.data.strip(), edition=form.edition.data,
                    interval=form.billing_interval.data, users=form.users.data)
            except collaboration_service.CollaborationError:
                db.session.rollback()
                form.organisation_number.errors.append(
                    _("A company with this organisation number is already registered."))
            else:
                db.session.commit()
                flash(_("%(name)s is registered as a partner (customer id %(id)s); %(user)s "
                        "gets the login by e-mail.", name=company.name, id=company.login_id,
                        user=admin.full_name))
                return redirect(url_for("operator.partners"), 303)
    rows = db.session.scalars(select(Company).where(Company.kind == "partner")
                              .order_by(Company.name)).all()
    return render("operator/partners.html", form=form, partners=rows, status=status)


# --- Support requests (R-SUPPORT-1) ------------------------------------------------------------

@bp.get("/support")
def support_queue():
    """Open requests oldest first (or one status), each with its company and category."""
    shown = request.args.get("status") or ""
    pagination = paginated(support_service.queue(shown).options(
        selectinload(SupportRequest.company), selectinload(SupportRequest.user)))
    return render("operator/support.html", pagination=pagination, shown=shown)


@bp.route("/support/<int:request_id>", methods=["GET", "POST"])
def support_request(request_id: int):
    """Read a request, take it, answer it (by e-mail and in the portal) or close it."""
    found = db.get_or_404(SupportRequest, request_id)
    form = SupportReplyForm()
    status = 200
    if request.method == "POST":
        action = request.form.get("action")
        if action in ("take", "close") and EmptyForm().validate_on_submit():
            step = support_service.take if action == "take" else support_service.close
            if submit(lambda: step(found, clock.now()), form.text, form):
                flash(_("Request %(number)s: %(status)s.", number=found.id,
                        status=support_status_label(found.status)))
                return redirect(url_for("operator.support_request", request_id=found.id), 303)
        elif action in ("answer", "answer_close") and form.validate():
            if submit(lambda: support_service.answer(found, current_user, form.text.data,
                                                     clock.now(), close=action == "answer_close"),
                      form.text, form):
                flash(_("The answer is sent to %(address)s.", address=found.reply_to))
                return redirect(url_for("operator.support_queue"), 303)
        status = 422
    return render("operator/support_request.html", request_=found, form=form,
                  action_form=EmptyForm(), status=status)
