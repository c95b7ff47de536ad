"""Update the bokmål catalog: extract messages, merge new translations, report what is missing.

Usage: python scripts/i18n.py [translations.py]  (a file defining NB = {msgid: msgstr})
"""
import runpy
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "webapp/translations/nb/LC_MESSAGES/messages.po"
POT = ROOT / "build/messages.pot"


def main() -> int:
    POT.parent.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "--no-location",
                    "-o", str(POT), "."], check=True, cwd=ROOT,
                   capture_output=True)
    template = read_po(POT.open("rb"))
    existing = read_po(PO.open("rb"), locale="nb") if PO.exists() else None
    extra = runpy.run_path(sys.argv[1])["NB"] if len(sys.argv) > 1 else {}
    missing = []
    for message in template:
        if not message.id:
            continue
        if message.id in extra:
            message.string = extra[message.id]
        elif existing is not None and existing.get(message.id) and existing[message.id].string:
            message.string = existing[message.id].string
        else:
            missing.append(message.id)
    template.locale = "nb"
    template.fuzzy = False
    template.project, template.language_team = "Kvitt", "Kvitt"
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as handle:
        write_po(handle, template, sort_output=True, omit_header=False, width=100)
    for msgid in missing:
        print(f"missing nb translation: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
