"""Bank files as the bank delivers them, built for tests and benches: OCR giro with netsgiro's
writer, camt.054 (version 02) with lxml. No code shared with webapp/."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import netsgiro
from lxml import etree
from lxml.builder import ElementMaker

CAMT = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"


def ocr_file(payments: list[tuple[str, int]], day: dt.date, number: str = "1000081",
             first_archive: int = 1, types: dict[int, int] | None = None) -> str:
    """An OCR giro file with one assignment: (KID, øre) payments, paid the day before `day`;
    `types` sets a transaction's type by its index (e.g. 18: a reversal)."""
    transmission = netsgiro.Transmission(number=number, data_transmitter="00008080",
                                         data_recipient="00123456", date=day)
    assignment = transmission.add_assignment(
        service_code=netsgiro.ServiceCode.OCR_GIRO,
        assignment_type=netsgiro.AssignmentType.TRANSACTIONS, agreement_id="001234567",
        number="4000086", account="15030012345", date=day)
    for index, (kid, ore) in enumerate(payments):
        kind = (types or {}).get(index, netsgiro.TransactionType.FROM_GIRO_DEBITED_ACCOUNT)
        assignment.transactions.append(netsgiro.Transaction(
            service_code=netsgiro.ServiceCode.OCR_GIRO, type=kind, number=index + 1,
            date=day, amount=Decimal(ore) / 100, kid=kid, reference=f"{first_archive + index:09d}",
            text=None, centre_id="01", day_code=day.day, partial_settlement_number=1,
            partial_settlement_serial_number="00001", sign="0", form_number="9636827194",
            bank_date=day - dt.timedelta(days=1), debit_account="12345678903", filler=None))
    return transmission.to_ocr() + "\n"


def camt054_file(payments: list[tuple[str, int]], day: dt.date, message: str = "MSG-1",
                 summary: tuple[int, int] | None = None, currency: str = "NOK") -> bytes:
    """A camt.054.001.02 notification with one booked credit entry per (KID, øre) payment;
    `summary` overrides the stated (number, øre) of credit entries."""
    E = ElementMaker(namespace=CAMT, nsmap={None: CAMT})

    def amount(ore: int):
        return E.Amt(f"{Decimal(ore) / 100:.2f}", Ccy=currency)

    entries = []
    for index, (kid, ore) in enumerate(payments, start=1):
        entries.append(E.Ntry(
            amount(ore), E.CdtDbtInd("CRDT"), E.Sts("BOOK"),
            E.BookgDt(E.Dt(day.isoformat())), E.ValDt(E.Dt(day.isoformat())),
            E.AcctSvcrRef(f"{message}-{index}"),
            E.BkTxCd(E.Domn(E.Cd("PMNT"), E.Fmly(E.Cd("RCDT"), E.SubFmlyCd("VCOM")))),
            E.NtryDtls(E.TxDtls(
                E.Refs(E.AcctSvcrRef(f"{message}-{index}")),
                E.AmtDtls(E.TxAmt(amount(ore))),
                E.RltdPties(E.Dbtr(E.Nm(f"Betaler {index} AS")),
                            E.DbtrAcct(E.Id(E.Othr(E.Id("12345678903"))))),
                E.RmtInf(E.Strd(E.CdtrRefInf(
                    E.Tp(E.CdOrPrtry(E.Cd("SCOR"))), E.Ref(kid))))))))
    count, total = summary or (len(payments), sum(ore for _kid, ore in payments))
    now = dt.datetime.combine(day, dt.time(6)).isoformat()
    document = E.Document(E.BkToCstmrDbtCdtNtfctn(
        E.GrpHdr(E.MsgId(message), E.CreDtTm(now)),
        E.Ntfctn(E.Id(f"{message}-N"), E.CreDtTm(now),
                 E.Acct(E.Id(E.Othr(E.Id("15030012345")))),
                 E.TxsSummry(E.TtlCdtNtries(E.NbOfNtries(str(count)),
                                            E.Sum(f"{Decimal(total) / 100:.2f}"))),
                 *entries)))
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


def avtalegiro_agreements_file(changes: list[tuple[str, bool]], day: dt.date,
                               number: str = "1000090") -> str:
    """The bank's AvtaleGiro agreements file: (mandate KID, deleted?) registrations."""
    transmission = netsgiro.Transmission(number=number, data_transmitter="00008080",
                                         data_recipient="00123456", date=day)
    assignment = transmission.add_assignment(
        service_code=netsgiro.ServiceCode.AVTALEGIRO,
        assignment_type=netsgiro.AssignmentType.AVTALEGIRO_AGREEMENTS, number="4000087",
        account="15030012345")
    for index, (kid, deleted) in enumerate(changes, start=1):
        kind = netsgiro.AvtaleGiroRegistrationType.DELETED_AGREEMENT if deleted else \
            netsgiro.AvtaleGiroRegistrationType.NEW_OR_UPDATED_AGREEMENT
        assignment.transactions.append(netsgiro.Agreement(
            service_code=netsgiro.ServiceCode.AVTALEGIRO, number=index, registration_type=kind,
            kid=kid, notify=True))
    return transmission.to_ocr() + "\n"
