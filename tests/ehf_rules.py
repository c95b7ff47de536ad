"""The official EHF / Peppol BIS Billing 3.0 rules (OpenPeppol's and CEN's Schematron, read from
../shared/data/ehf/), compiled once with lxml's ISO Schematron skeleton and run by Saxon as
XSLT 2.0: a document's failed assertions, fatal and warning."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import lxml.isoschematron
from lxml import etree

RULES_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "ehf"
RULE_FILES = ("CEN-EN16931-UBL.sch", "PEPPOL-EN16931-UBL.sch")
SKELETON = Path(lxml.isoschematron.__file__).parent / "resources" / "xsl" / "iso-schematron-xslt1"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


@dataclass(frozen=True)
class Failure:
    rule: str
    flag: str
    text: str
    location: str


def _schematron_to_xslt(path: Path) -> str:
    """The skeleton refuses queryBinding="xslt2": hand it the schema as "xslt", keep the
    xsl:function checks (allow-foreign) and run the result as XSLT 2.0."""
    document = etree.parse(str(path))
    document.getroot().set("queryBinding", "xslt")
    for step in ("iso_dsdl_include.xsl", "iso_abstract_expand.xsl", "iso_svrl_for_xslt1.xsl"):
        parameters = {"allow-foreign": "'true'"} if step.startswith("iso_svrl") else {}
        document = etree.XSLT(etree.parse(str(SKELETON / step)))(document, **parameters)
    document.getroot().set("version", "2.0")
    return etree.tostring(document, encoding="unicode")


class Rules:
    def __init__(self):
        from saxonche import PySaxonProcessor

        self.processor = PySaxonProcessor(license=False)
        compiler = self.processor.new_xslt30_processor()
        self.stylesheets = [compiler.compile_stylesheet(stylesheet_text=_schematron_to_xslt(
            RULES_DIR / name)) for name in RULE_FILES]

    def check(self, xml: bytes) -> list[Failure]:
        """Every failed assertion of both rule sets."""
        node = self.processor.parse_xml(xml_text=xml.decode("utf-8"))
        failures = []
        for stylesheet in self.stylesheets:
            report = etree.fromstring(stylesheet.transform_to_string(xdm_node=node).encode())
            for failed in report.iterfind(".//svrl:failed-assert", SVRL):
                failures.append(Failure(failed.get("id"), failed.get("flag"),
                                        " ".join(failed.findtext("svrl:text", "", SVRL).split()),
                                        failed.get("location")))
        return failures

    def fatal(self, xml: bytes) -> list[Failure]:
        return [f for f in self.check(xml) if f.flag == "fatal"]


@cache
def official_rules() -> Rules:
    return Rules()
