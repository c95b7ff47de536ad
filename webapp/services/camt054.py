"""ISO 20022 camt.054 (bank to customer debit/credit notification), versions 02 and 08, the
ones Norwegian banks deliver: checked against the official message schema
(`webapp/data/iso20022/`) with lxml, then read entry by entry. Only booked credit entries in
NOK are payments; a notification whose control sums (the summary's number and sum of credit
entries, a batch's number of transactions, an entry's amount against its transactions') do
not add up is refused whole."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from lxml import etree

from .bank_files import BankFile, BankFileError, BankTransaction, to_ore

SCHEMAS = Path(__file__).resolve().parent.parent / "data" / "iso20022"
VERSIONS = {f"urn:iso:std:iso:20022:tech:xsd:camt.054.001.{v}": v for v in ("02", "08")}


@cache
def schema(version: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / f"camt.054.001.{version}.xsd")))


def _parse(data: bytes):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             remove_blank_text=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise BankFileError(_("the XML cannot be read (%(e)s).", e=error.msg),
                            error.lineno) from None


def read_camt054(data: bytes) -> BankFile:
    root = _parse(data)
    namespace = etree.QName(root).namespace or ""
    version = VERSIONS.get(namespace)
    if version is None:
        raise BankFileError(_("This XML is not a camt.054 notification Kvitt reads (version "
                              "02 or 08); its namespace is %(ns)s.", ns=namespace or "—"))
    checker = schema(version)
    if not checker.validate(root):
        error = checker.error_log.last_error
        raise BankFileError(_("the notification breaks the camt.054 schema: %(e)s",
                              e=error.message), error.line)
    ns = {"c": namespace}

    def text(element, path: str) -> str | None:
        found = element.find(path, ns)
        return found.text.strip() if found is not None and found.text else None

    def amount(element, path: str, line: int) -> Decimal | None:
        found = element.find(path, ns)
        if found is None:
            return None
        if found.get("Ccy", "NOK") != "NOK":
            raise BankFileError(_("only amounts in NOK are payments of Kvitt's invoices, not "
                                  "%(ccy)s.", ccy=found.get("Ccy")), found.sourceline or line)
        return Decimal(found.text.strip())

    message = text(root, "c:BkToCstmrDbtCdtNtfctn/c:GrpHdr/c:MsgId") or ""
    found: list[BankTransaction] = []
    for notification in root.iterfind("c:BkToCstmrDbtCdtNtfctn/c:Ntfctn", ns):
        credits, credit_sum = 0, Decimal(0)
        for entry in notification.iterfind("c:Ntry", ns):
            line = entry.sourceline or 0
            if text(entry, "c:CdtDbtInd") != "CRDT":
                continue
            credits += 1
            entry_amount = amount(entry, "c:Amt", line) or Decimal(0)
            credit_sum += entry_amount
            status = text(entry, "c:Sts") or text(entry, "c:Sts/c:Cd")
            if status != "BOOK":
                continue  # pending or informational: the booked entry comes later
            paid_on = _date(text(entry, "c:BookgDt/c:Dt") or text(entry, "c:ValDt/c:Dt")
                            or (text(entry, "c:BookgDt/c:DtTm") or "")[:10], line)
            entry_reference = text(entry, "c:AcctSvcrRef") or text(entry, "c:NtryRef") or ""
            reversal = text(entry, "c:RvslInd") == "true"
            details = entry.findall("c:NtryDtls/c:TxDtls", ns)
            batch = text(entry, "c:NtryDtls/c:Btch/c:NbOfTxs")
            if batch is not None and int(batch) != len(details):
                raise BankFileError(_("the entry's batch says %(n)s transactions; it holds "
                                      "%(count)s.", n=batch, count=len(details)), line)
            parts = []
            for index, detail in enumerate(details or [entry], start=1):
                value = amount(detail, "c:AmtDtls/c:TxAmt/c:Amt", line)
                if value is None and detail is not entry:
                    value = amount(detail, "c:Amt", line)
                if value is None:
                    if len(details) > 1:
                        raise BankFileError(_("a transaction of the entry has no amount."),
                                            detail.sourceline or line)
                    value = entry_amount
                parts.append(value)
                kid = text(detail, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref") or ""
                archive = text(detail, "c:Refs/c:AcctSvcrRef") or entry_reference or None
                key = f"camt:{archive or message}:{index}:{kid}:{value}"
                name = text(detail, "c:RltdPties/c:Dbtr/c:Nm") or \
                    text(detail, "c:RltdPties/c:Dbtr/c:Pty/c:Nm")
                account = text(detail, "c:RltdPties/c:DbtrAcct/c:Id/c:IBAN") or \
                    text(detail, "c:RltdPties/c:DbtrAcct/c:Id/c:Othr/c:Id")
                found.append(BankTransaction(detail.sourceline or line, kid, to_ore(value),
                                             paid_on, key, archive, account, name, reversal))
            if sum(parts) != entry_amount:
                raise BankFileError(_("the entry's amount %(a)s is not the sum of its "
                                      "transactions, %(s)s.", a=entry_amount, s=sum(parts)), line)
        summary = notification.find("c:TxsSummry/c:TtlCdtNtries", ns)
        if summary is not None:
            try:
                stated = (int(text(summary, "c:NbOfNtries") or credits),
                          Decimal(text(summary, "c:Sum") or credit_sum))
            except (ValueError, InvalidOperation):
                stated = (-1, Decimal(-1))
            if stated != (credits, credit_sum):
                raise BankFileError(_("the summary says %(n)s credit entries of %(s)s; the "
                                      "notification holds %(count)s of %(sum)s.", n=stated[0],
                                      s=stated[1], count=credits, sum=credit_sum),
                                    summary.sourceline)
    return BankFile("camt054", message, found)


def _date(value: str | None, line: int) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        raise BankFileError(_("the entry has no booking date."), line) from None
